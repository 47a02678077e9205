"""Contains all the data models used in inputs/outputs"""

from .access_log_out import AccessLogOut
from .access_log_page import AccessLogPage
from .account_out import AccountOut
from .address_in import AddressIn
from .area_out import AreaOut
from .area_page import AreaPage
from .area_ref import AreaRef
from .attributes_in import AttributesIn
from .attributes_in_verified_item import AttributesInVerifiedItem
from .batch_in import BatchIn
from .card_in import CardIn
from .card_issued import CardIssued
from .card_resolved import CardResolved
from .catalogue import Catalogue
from .category_out import CategoryOut
from .claim_out import ClaimOut
from .client_created import ClientCreated
from .client_in import ClientIn
from .client_in_scopes_item import ClientInScopesItem
from .client_out import ClientOut
from .decision_out import DecisionOut
from .decision_out_explanation_type_0 import DecisionOutExplanationType0
from .delivery_list import DeliveryList
from .delivery_out import DeliveryOut
from .delivery_out_status import DeliveryOutStatus
from .earn_in import EarnIn
from .erasure_out import ErasureOut
from .evidence import Evidence
from .evidence_kind import EvidenceKind
from .field_warning import FieldWarning
from .fund_in import FundIn
from .grant_in import GrantIn
from .grant_in_categories_item import GrantInCategoriesItem
from .grant_in_purpose import GrantInPurpose
from .grant_list import GrantList
from .grant_out import GrantOut
from .grant_out_evidence_type_0 import GrantOutEvidenceType0
from .grant_out_status import GrantOutStatus
from .indicator_catalogue import IndicatorCatalogue
from .indicator_definition import IndicatorDefinition
from .indicator_series import IndicatorSeries
from .indicator_value import IndicatorValue
from .indicator_values import IndicatorValues
from .interaction_batch_out import InteractionBatchOut
from .interaction_in import InteractionIn
from .interaction_in_attributes_type_0 import InteractionInAttributesType0
from .interaction_in_kind import InteractionInKind
from .interaction_out import InteractionOut
from .interaction_out_attributes_type_0 import InteractionOutAttributesType0
from .issue_token_body import IssueTokenBody
from .issue_token_body_grant_type import IssueTokenBodyGrantType
from .list_identity_reviews_queue_type_0 import ListIdentityReviewsQueueType0
from .measure import Measure
from .merge_in import MergeIn
from .merge_out import MergeOut
from .mint_in import MintIn
from .o_auth_error import OAuthError
from .operating_limit_in import OperatingLimitIn
from .organisation_in import OrganisationIn
from .organisation_in_sector import OrganisationInSector
from .organisation_out import OrganisationOut
from .organisation_out_sector import OrganisationOutSector
from .organisation_page import OrganisationPage
from .people_batch_out import PeopleBatchOut
from .people_batch_result import PeopleBatchResult
from .people_batch_result_errors_type_0_item import PeopleBatchResultErrorsType0Item
from .people_batch_result_status import PeopleBatchResultStatus
from .person_created import PersonCreated
from .person_in import PersonIn
from .person_in_verified_item import PersonInVerifiedItem
from .person_out import PersonOut
from .person_out_attributes import PersonOutAttributes
from .person_ref import PersonRef
from .person_ref_list import PersonRefList
from .pool_in import PoolIn
from .pool_out import PoolOut
from .pool_out_rule import PoolOutRule
from .post_in import PostIn
from .previous import Previous
from .problem import Problem
from .problem_errors_item import ProblemErrorsItem
from .published_count import PublishedCount
from .purpose_out import PurposeOut
from .receipt_out import ReceiptOut
from .receipt_out_event import ReceiptOutEvent
from .receipt_out_receipt import ReceiptOutReceipt
from .redeem_in import RedeemIn
from .redeemed import Redeemed
from .redeemed_metadata_type_0 import RedeemedMetadataType0
from .redeemed_phase import RedeemedPhase
from .redeemed_status import RedeemedStatus
from .rejected import Rejected
from .rejected_errors_item import RejectedErrorsItem
from .relationship_in import RelationshipIn
from .relationship_in_type import RelationshipInType
from .relationship_list import RelationshipList
from .relationship_out import RelationshipOut
from .relationship_out_kind import RelationshipOutKind
from .resolution import Resolution
from .resolution_status import ResolutionStatus
from .review_decision_in import ReviewDecisionIn
from .review_decision_in_decision import ReviewDecisionInDecision
from .review_out import ReviewOut
from .review_out_explanation_type_0 import ReviewOutExplanationType0
from .review_out_queue import ReviewOutQueue
from .review_page import ReviewPage
from .search_hit import SearchHit
from .search_in import SearchIn
from .search_out import SearchOut
from .series_point import SeriesPoint
from .subscription_created import SubscriptionCreated
from .subscription_in import SubscriptionIn
from .subscription_in_events_item import SubscriptionInEventsItem
from .subscription_list import SubscriptionList
from .subscription_out import SubscriptionOut
from .thresholds import Thresholds
from .timeline import Timeline
from .timeline_item import TimelineItem
from .timeline_item_attributes_type_0 import TimelineItemAttributesType0
from .transfer_batch_out import TransferBatchOut
from .transfer_batch_result import TransferBatchResult
from .transfer_in import TransferIn
from .transfer_in_code import TransferInCode
from .transfer_in_metadata_type_0 import TransferInMetadataType0
from .transfer_list import TransferList
from .transfer_out import TransferOut
from .transfer_out_metadata_type_0 import TransferOutMetadataType0
from .transfer_out_phase import TransferOutPhase
from .transfer_out_status import TransferOutStatus
from .trust_in import TrustIn
from .unmerge_out import UnmergeOut
from .void_in import VoidIn
from .wallet_entry import WalletEntry
from .wallet_out import WalletOut

__all__ = (
    "AccessLogOut",
    "AccessLogPage",
    "AccountOut",
    "AddressIn",
    "AreaOut",
    "AreaPage",
    "AreaRef",
    "AttributesIn",
    "AttributesInVerifiedItem",
    "BatchIn",
    "CardIn",
    "CardIssued",
    "CardResolved",
    "Catalogue",
    "CategoryOut",
    "ClaimOut",
    "ClientCreated",
    "ClientIn",
    "ClientInScopesItem",
    "ClientOut",
    "DecisionOut",
    "DecisionOutExplanationType0",
    "DeliveryList",
    "DeliveryOut",
    "DeliveryOutStatus",
    "EarnIn",
    "ErasureOut",
    "Evidence",
    "EvidenceKind",
    "FieldWarning",
    "FundIn",
    "GrantIn",
    "GrantInCategoriesItem",
    "GrantInPurpose",
    "GrantList",
    "GrantOut",
    "GrantOutEvidenceType0",
    "GrantOutStatus",
    "IndicatorCatalogue",
    "IndicatorDefinition",
    "IndicatorSeries",
    "IndicatorValue",
    "IndicatorValues",
    "InteractionBatchOut",
    "InteractionIn",
    "InteractionInAttributesType0",
    "InteractionInKind",
    "InteractionOut",
    "InteractionOutAttributesType0",
    "IssueTokenBody",
    "IssueTokenBodyGrantType",
    "ListIdentityReviewsQueueType0",
    "Measure",
    "MergeIn",
    "MergeOut",
    "MintIn",
    "OAuthError",
    "OperatingLimitIn",
    "OrganisationIn",
    "OrganisationInSector",
    "OrganisationOut",
    "OrganisationOutSector",
    "OrganisationPage",
    "PeopleBatchOut",
    "PeopleBatchResult",
    "PeopleBatchResultErrorsType0Item",
    "PeopleBatchResultStatus",
    "PersonCreated",
    "PersonIn",
    "PersonInVerifiedItem",
    "PersonOut",
    "PersonOutAttributes",
    "PersonRef",
    "PersonRefList",
    "PoolIn",
    "PoolOut",
    "PoolOutRule",
    "PostIn",
    "Previous",
    "Problem",
    "ProblemErrorsItem",
    "PublishedCount",
    "PurposeOut",
    "ReceiptOut",
    "ReceiptOutEvent",
    "ReceiptOutReceipt",
    "Redeemed",
    "RedeemedMetadataType0",
    "RedeemedPhase",
    "RedeemedStatus",
    "RedeemIn",
    "Rejected",
    "RejectedErrorsItem",
    "RelationshipIn",
    "RelationshipInType",
    "RelationshipList",
    "RelationshipOut",
    "RelationshipOutKind",
    "Resolution",
    "ResolutionStatus",
    "ReviewDecisionIn",
    "ReviewDecisionInDecision",
    "ReviewOut",
    "ReviewOutExplanationType0",
    "ReviewOutQueue",
    "ReviewPage",
    "SearchHit",
    "SearchIn",
    "SearchOut",
    "SeriesPoint",
    "SubscriptionCreated",
    "SubscriptionIn",
    "SubscriptionInEventsItem",
    "SubscriptionList",
    "SubscriptionOut",
    "Thresholds",
    "Timeline",
    "TimelineItem",
    "TimelineItemAttributesType0",
    "TransferBatchOut",
    "TransferBatchResult",
    "TransferIn",
    "TransferInCode",
    "TransferInMetadataType0",
    "TransferList",
    "TransferOut",
    "TransferOutMetadataType0",
    "TransferOutPhase",
    "TransferOutStatus",
    "TrustIn",
    "UnmergeOut",
    "VoidIn",
    "WalletEntry",
    "WalletOut",
)
