"""The ten indicators' raw figures for a set of (area, period) cells, in one SQL statement.

The statement is written once over two relations, ``res`` (residents with their areas) and ``act``
(activity per person, organisation and month), and runs over either source:

- the roll-ups (``indicator_residents``, ``indicator_activity``) that the refresh job maintains —
  how ``indicator_values`` is filled;
- the raw tables (people, person_records, postcodes, interactions) — the full computation, which
  the tests and the benchmark compare the roll-ups against.

Relationships and ledger transfers are read as they are in both (they are small beside the
interactions). Everything runs in the platform scope: aggregates look across organisations by
nature, and nothing here leaves the service before disclosure control.
"""

from __future__ import annotations

# Local calendar: a visit at 00:30 BST on the 1st belongs to that day and month.
TZ = "Europe/London"

RES_ROLLUP = "SELECT person_id, canonical_id, ward, lsoa, msoa, registered_on FROM indicator_residents"
ACT_ROLLUP = (
    "SELECT person_id, month, org_id, interactions, day_mask, volunteer_minutes, volunteering, services "
    "FROM indicator_activity"
)

# Residents: every id of a canonical person who is not erased and has not objected to research,
# placed by the postcode of their own record if they keep one, else the most recently updated.
_RESIDENTS = f"""
SELECT p.id AS person_id, p.canonical_id, pc.ward, pc.lsoa, pc.msoa,
       (c.created_at AT TIME ZONE '{TZ}')::date AS registered_on
  FROM people p
  JOIN people c ON c.id = p.canonical_id
  JOIN (SELECT DISTINCT ON (rp.canonical_id) rp.canonical_id, r.m_postcode
          FROM person_records r JOIN people rp ON rp.id = r.person_id
         WHERE r.m_postcode IS NOT NULL{{home}}
         ORDER BY rp.canonical_id, (r.org_id IS NULL) DESC, r.updated_at DESC, r.id) home
    ON home.canonical_id = p.canonical_id
  JOIN postcodes pc ON pc.postcode = home.m_postcode
 WHERE c.status <> 'erased' AND c.research_objection_at IS NULL{{people}}
"""
RES_RAW = _RESIDENTS.format(home="", people="")
# The residents among the people whose canonical person is in the work table ind_touched (c).
RES_TOUCHED = _RESIDENTS.format(
    home=" AND rp.canonical_id IN (SELECT c FROM ind_touched)",
    people=" AND p.canonical_id IN (SELECT c FROM ind_touched)",
)

# Activity per person, month and organisation, straight from the interactions.
ACT_COLUMNS = f"""
SELECT person_id, date_trunc('month', occurred_at AT TIME ZONE '{TZ}')::date AS month, org_id,
       count(*)::int AS interactions,
       bit_or(1 << (extract(day FROM occurred_at AT TIME ZONE '{TZ}')::int - 1))::int AS day_mask,
       coalesce(sum(duration_minutes) FILTER (WHERE kind = 'volunteering'), 0)::int AS volunteer_minutes,
       (count(*) FILTER (WHERE kind = 'volunteering'))::int AS volunteering,
       (count(*) FILTER (WHERE kind IN ('service_contact', 'referral')))::int AS services
  FROM interactions
"""
ACT_RAW = ACT_COLUMNS + " GROUP BY 1, 2, 3"


# A record key for cell-key perturbation (disclosure.py): a keyed hash in [0, 2^32) of a person's
# canonical id (or an organisation's id, or a tie's two ends), the salt a secret of the
# installation, read inside the statement (never a parameter, which a slow-query log would keep).
# Each count below comes with the sum of its records' keys.
def _key(column: str) -> str:
    return f"('x' || substr(md5((SELECT fingerprint FROM indicator_state WHERE name = 'record_key_salt') || {column}::text), 1, 8))::bit(32)::bigint"


_FIGURES = """
WITH cells AS MATERIALIZED (
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::date[], $5::date[], $6::date[], $7::int[])
    AS c(area_code, level, period, p_start, p_end, prev_start, months)
),
res AS NOT MATERIALIZED ({res}),
act AS NOT MATERIALIZED ({act}),
-- R: each cell's residents (every id of each person) registered by the end of the period
cr AS MATERIALIZED (
  SELECT c.area_code, c.level, c.period, c.p_start, c.p_end, c.prev_start, c.months, r.person_id, r.canonical_id
    FROM cells c JOIN res r ON c.level = 'ward' AND r.ward = c.area_code AND r.registered_on < c.p_end
  UNION ALL
  SELECT c.area_code, c.level, c.period, c.p_start, c.p_end, c.prev_start, c.months, r.person_id, r.canonical_id
    FROM cells c JOIN res r ON c.level = 'lsoa' AND r.lsoa = c.area_code AND r.registered_on < c.p_end
  UNION ALL
  SELECT c.area_code, c.level, c.period, c.p_start, c.p_end, c.prev_start, c.months, r.person_id, r.canonical_id
    FROM cells c JOIN res r ON c.level = 'msoa' AND r.msoa = c.area_code AND r.registered_on < c.p_end
),
crc AS MATERIALIZED (
  SELECT d.*, {key_crc} AS k
    FROM (SELECT DISTINCT area_code, level, period, p_start, p_end, prev_start, months, canonical_id FROM cr) d
),
-- the residents' activity in the period
ca AS MATERIALIZED (
  SELECT cr.area_code, cr.period, cr.canonical_id, a.org_id, o.sector, o.area_code AS org_area, a.month,
         a.interactions, a.day_mask, a.volunteer_minutes, a.volunteering, a.services
    FROM cr JOIN act a ON a.person_id = cr.person_id AND a.month >= cr.p_start AND a.month < cr.p_end
    JOIN organisations o ON o.id = a.org_id
),
pdays AS MATERIALIZED (
  SELECT area_code, period, canonical_id, sum(bit_count(mask::bit(31)))::int AS days
    FROM (SELECT area_code, period, canonical_id, month, bit_or(day_mask) AS mask FROM ca GROUP BY 1, 2, 3, 4) m
   GROUP BY 1, 2, 3
),
pp AS MATERIALIZED (
  SELECT ca.area_code, ca.period, ca.canonical_id, count(DISTINCT org_id) AS orgs,
         count(DISTINCT sector) AS sectors, bool_or(sector = 'public') AS public,
         sum(volunteer_minutes) AS vmin,
         count(DISTINCT month) FILTER (WHERE volunteering > 0) AS vmonths,
         bool_or(volunteering > 0) AS volunteered, bool_or(services > 0) AS served,
         sum(interactions) AS n, {key_pp} AS k
    FROM ca GROUP BY 1, 2, 3
),
-- a resident's main sector: where most of their interactions were (ties broken by name)
main_sector AS MATERIALIZED (
  SELECT DISTINCT ON (area_code, period, canonical_id) area_code, period, canonical_id, sector
    FROM (SELECT area_code, period, canonical_id, sector, sum(interactions) AS n FROM ca GROUP BY 1, 2, 3, 4) s
   ORDER BY area_code, period, canonical_id, n DESC, sector
),
prev_active AS MATERIALIZED (
  SELECT DISTINCT cr.area_code, cr.period, cr.canonical_id
    FROM cr JOIN act a ON a.person_id = cr.person_id AND a.month >= cr.prev_start AND a.month < cr.p_start
),
year_orgs AS MATERIALIZED (
  SELECT cr.area_code, cr.period, cr.canonical_id, count(DISTINCT a.org_id) AS orgs
    FROM cr JOIN act a ON a.person_id = cr.person_id
     AND a.month >= (cr.p_end - interval '12 months')::date AND a.month < cr.p_end
   GROUP BY 1, 2, 3
),
ptie AS MATERIALIZED (
  SELECT pa.canonical_id AS a, pb.canonical_id AS b, rel.started_on, rel.ended_on, rel.id
    FROM relationships rel JOIN people pa ON pa.id = rel.person_id JOIN people pb ON pb.id = rel.other_person_id
   WHERE rel.kind = 'person_person'
  UNION ALL
  SELECT pb.canonical_id, pa.canonical_id, rel.started_on, rel.ended_on, rel.id
    FROM relationships rel JOIN people pa ON pa.id = rel.person_id JOIN people pb ON pb.id = rel.other_person_id
   WHERE rel.kind = 'person_person'
),
isolated AS (
  SELECT crc.area_code, crc.period, count(*) AS isolated, sum(crc.k) AS isolated_k
    FROM crc LEFT JOIN year_orgs y USING (area_code, period, canonical_id)
   WHERE coalesce(y.orgs, 0) <= 1
     AND NOT EXISTS (SELECT 1 FROM ptie t WHERE t.a = crc.canonical_id AND t.a <> t.b AND t.started_on < crc.p_end
                       AND (t.ended_on IS NULL OR t.ended_on >= (crc.p_end - interval '12 months')::date))
   GROUP BY 1, 2
),
-- organisations based in (or overlapping) each cell's area
local_org AS MATERIALIZED (
  SELECT DISTINCT c.area_code, o.id AS org_id
    FROM cells c JOIN organisations o ON o.area_code = c.area_code
      OR EXISTS (SELECT 1 FROM area_links l WHERE o.area_code IN (l.ward, l.lsoa, l.msoa)
                                              AND c.area_code IN (l.ward, l.lsoa, l.msoa))
),
ties AS (
  SELECT crc.area_code, crc.period, crc.canonical_id, 0 AS kind, t.b::text AS other,
         (ro.canonical_id IS NULL) AS outside
    FROM crc JOIN ptie t ON t.a = crc.canonical_id AND t.a <> t.b AND t.started_on < crc.p_end
                        AND (t.ended_on IS NULL OR t.ended_on >= crc.p_start)
    LEFT JOIN crc ro ON ro.area_code = crc.area_code AND ro.period = crc.period AND ro.canonical_id = t.b
  UNION ALL
  SELECT po.area_code, po.period, po.canonical_id, 1, po.org_id::text,
         (lo.org_id IS NULL OR po.sector <> ms.sector)
    FROM (SELECT area_code, period, canonical_id, org_id, sector FROM ca GROUP BY 1, 2, 3, 4, 5) po
    JOIN main_sector ms USING (area_code, period, canonical_id)
    LEFT JOIN local_org lo ON lo.area_code = po.area_code AND lo.org_id = po.org_id
),
capped_ties AS (
  SELECT area_code, period, outside, canonical_id, other,
         row_number() OVER (PARTITION BY area_code, period, canonical_id ORDER BY kind, other) AS degree
    FROM (SELECT DISTINCT ON (area_code, period, canonical_id, kind, other) * FROM ties
           ORDER BY area_code, period, canonical_id, kind, other, outside DESC) d
),
ei AS (
  SELECT area_code, period, count(*) FILTER (WHERE outside) AS external, count(*) FILTER (WHERE NOT outside) AS internal,
         sum({key_tie}) FILTER (WHERE outside) AS external_k, sum({key_tie}) FILTER (WHERE NOT outside) AS internal_k
    FROM capped_ties WHERE degree <= $9 GROUP BY 1, 2
),
active_orgs AS MATERIALIZED (SELECT DISTINCT area_code, period, org_id, sector FROM ca),
shared AS (
  SELECT a.area_code, a.period, a.org_id AS o1, b.org_id AS o2
    FROM (SELECT DISTINCT area_code, period, canonical_id, org_id FROM ca) a
    JOIN (SELECT DISTINCT area_code, period, canonical_id, org_id FROM ca) b
      ON a.area_code = b.area_code AND a.period = b.period AND a.canonical_id = b.canonical_id AND a.org_id < b.org_id
   GROUP BY 1, 2, 3, 4 HAVING count(*) >= $10
),
declared AS (
  SELECT c.area_code, c.period, least(rel.organisation_id, rel.other_organisation_id) AS o1,
         greatest(rel.organisation_id, rel.other_organisation_id) AS o2
    FROM cells c JOIN relationships rel ON rel.kind = 'organisation_organisation'
     AND rel.organisation_id <> rel.other_organisation_id
     AND rel.started_on < c.p_end AND (rel.ended_on IS NULL OR rel.ended_on >= c.p_start)
    JOIN active_orgs x ON x.area_code = c.area_code AND x.period = c.period AND x.org_id = rel.organisation_id
    JOIN active_orgs y ON y.area_code = c.area_code AND y.period = c.period AND y.org_id = rel.other_organisation_id
),
org_ties AS (
  SELECT t.area_code, t.period, count(*) AS total, count(*) FILTER (WHERE x.sector <> y.sector) AS cross_sector,
         sum({key_pair}) AS total_k, sum({key_pair}) FILTER (WHERE x.sector <> y.sector) AS cross_k
    FROM (SELECT * FROM shared UNION SELECT * FROM declared) t
    JOIN active_orgs x ON x.area_code = t.area_code AND x.period = t.period AND x.org_id = t.o1
    JOIN active_orgs y ON y.area_code = t.area_code AND y.period = t.period AND y.org_id = t.o2
   GROUP BY 1, 2
),
sectors AS (
  SELECT area_code, period, count(*) FILTER (WHERE sector = 'public') AS public,
         count(*) FILTER (WHERE sector = 'social') AS social, count(*) FILTER (WHERE sector = 'commercial') AS commercial,
         sum({key_org}) FILTER (WHERE sector = 'public') AS public_k,
         sum({key_org}) FILTER (WHERE sector = 'social') AS social_k,
         sum({key_org}) FILTER (WHERE sector = 'commercial') AS commercial_k
    FROM active_orgs GROUP BY 1, 2
),
org_load AS (
  SELECT area_code, period, jsonb_agg(n ORDER BY n DESC) AS loads
    FROM (SELECT area_code, period, org_id, sum(interactions) AS n FROM ca GROUP BY 1, 2, 3) s GROUP BY 1, 2
),
people_figures AS (
  SELECT area_code, period, count(*) AS active, sum(k) AS active_k,
         count(*) FILTER (WHERE sectors >= 2) AS multi_sector, sum(k) FILTER (WHERE sectors >= 2) AS multi_sector_k,
         count(*) FILTER (WHERE public) AS public_contact, sum(k) FILTER (WHERE public) AS public_contact_k,
         count(*) FILTER (WHERE volunteered) AS volunteers, sum(k) FILTER (WHERE volunteered) AS volunteers_k,
         count(*) FILTER (WHERE vmonths = c.months) AS every_month,
         sum(k) FILTER (WHERE vmonths = c.months) AS every_month_k,
         count(*) FILTER (WHERE orgs = 1) AS single_org, sum(k) FILTER (WHERE orgs = 1) AS single_org_k,
         count(*) FILTER (WHERE d.days >= 3) AS repeat3, sum(k) FILTER (WHERE d.days >= 3) AS repeat3_k,
         count(*) FILTER (WHERE vmin > 0) AS vol_n,
         sum(k) FILTER (WHERE vmin > 0) AS vol_k,
         coalesce(sum(least(vmin, $8 * c.months)), 0) AS vol_sum,
         (array_agg(least(vmin, $8 * c.months) ORDER BY least(vmin, $8 * c.months) DESC)
            FILTER (WHERE vmin > 0))[1:2] AS vol_top
    FROM pp JOIN cells c USING (area_code, period) JOIN pdays d USING (area_code, period, canonical_id)
   GROUP BY 1, 2
),
retention AS (
  SELECT p.area_code, p.period, count(*) AS prev_active, sum({key_prev}) AS prev_active_k,
         count(pp.canonical_id) AS retained, sum(pp.k) AS retained_k
    FROM prev_active p LEFT JOIN pp USING (area_code, period, canonical_id) GROUP BY 1, 2
),
-- ledger: posted credits between accounts, with their owners
flows AS NOT MATERIALIZED (
  SELECT t.id, t.amount, t.code, (t.created_at AT TIME ZONE '{tz}')::date AS day, t.created_at,
         dp.canonical_id AS from_person, da.org_id AS from_org, cp.canonical_id AS to_person, ka.org_id AS to_org
    FROM ledger_transfers t
    JOIN ledger_accounts da ON da.id = t.debit_account_id
    JOIN ledger_accounts ka ON ka.id = t.credit_account_id
    LEFT JOIN people dp ON dp.id = da.person_id
    LEFT JOIN people cp ON cp.id = ka.person_id
   WHERE t.phase IN ('single', 'post')
),
earned AS MATERIALIZED (
  SELECT DISTINCT crc.area_code, crc.period, crc.canonical_id
    FROM crc JOIN flows f ON f.to_person = crc.canonical_id AND f.code = 'earn'
     AND f.day >= crc.p_start AND f.day < crc.p_end
),
gifted AS MATERIALIZED (
  SELECT DISTINCT crc.area_code, crc.period, crc.canonical_id
    FROM crc JOIN flows f ON f.from_person = crc.canonical_id AND f.to_person IS NOT NULL
     AND f.to_person <> crc.canonical_id AND f.day >= crc.p_start AND f.day < crc.p_end
),
gave_got AS (
  SELECT crc.area_code, crc.period, crc.canonical_id, crc.k,
         coalesce(pp.volunteered, false) OR g.canonical_id IS NOT NULL AS gave,
         coalesce(pp.served, false) OR e.canonical_id IS NOT NULL AS got
    FROM crc LEFT JOIN pp USING (area_code, period, canonical_id)
    LEFT JOIN gifted g USING (area_code, period, canonical_id)
    LEFT JOIN earned e USING (area_code, period, canonical_id)
),
reciprocity AS (
  SELECT area_code, period, count(*) FILTER (WHERE gave OR got) AS either, sum(k) FILTER (WHERE gave OR got) AS either_k,
         count(*) FILTER (WHERE gave AND got) AS both, sum(k) FILTER (WHERE gave AND got) AS both_k
    FROM gave_got GROUP BY 1, 2
),
-- only the flows that touch an organisation of the cell's area
local_flows AS MATERIALIZED (
  SELECT c.area_code, c.period, c.p_start, c.p_end, f.*, lf.org_id IS NOT NULL AS from_local,
         lt.org_id IS NOT NULL AS to_local,
         fr.canonical_id IS NOT NULL AS from_resident, tr.canonical_id IS NOT NULL AS to_resident
    FROM (SELECT lo.area_code, f.id FROM local_org lo JOIN flows f ON f.to_org = lo.org_id
          UNION
          SELECT lo.area_code, f.id FROM local_org lo JOIN flows f ON f.from_org = lo.org_id) touching
    JOIN flows f ON f.id = touching.id
    JOIN cells c ON c.area_code = touching.area_code AND f.day >= c.p_start AND f.day < (c.p_end + 90)
    LEFT JOIN local_org lf ON lf.area_code = c.area_code AND lf.org_id = f.from_org
    LEFT JOIN local_org lt ON lt.area_code = c.area_code AND lt.org_id = f.to_org
    LEFT JOIN crc fr ON fr.area_code = c.area_code AND fr.period = c.period AND fr.canonical_id = f.from_person
    LEFT JOIN crc tr ON tr.area_code = c.area_code AND tr.period = c.period AND tr.canonical_id = f.to_person
),
r1 AS (
  SELECT area_code, period, count(*) AS n, sum(s) AS total, (array_agg(s ORDER BY s DESC))[1:2] AS top
    FROM (SELECT area_code, period, to_org, sum(amount) AS s FROM local_flows
           WHERE to_local AND NOT from_local AND NOT from_resident AND day < p_end GROUP BY 1, 2, 3) x
   GROUP BY 1, 2
),
r2 AS (
  SELECT lf.area_code, lf.period, count(*) AS n, sum(s) AS total, (array_agg(s ORDER BY s DESC))[1:2] AS top
    FROM (SELECT lf.area_code, lf.period, lf.from_org, sum(lf.amount) AS s
            FROM local_flows lf
           WHERE lf.from_local AND lf.day < lf.p_end
             AND ((lf.to_local AND lf.to_org <> lf.from_org) OR lf.to_resident)
           GROUP BY 1, 2, 3) lf GROUP BY 1, 2
),
received AS (
  SELECT lf.area_code, lf.period, lf.to_person AS person, sum(lf.amount) AS amount,
         min(lf.created_at) AS first_at, max(lf.created_at) AS last_at
    FROM local_flows lf WHERE lf.from_local AND lf.to_resident AND lf.day < lf.p_end GROUP BY 1, 2, 3
),
r3 AS (
  SELECT area_code, period, count(*) AS n, sum(s) AS total, (array_agg(s ORDER BY s DESC))[1:2] AS top
    FROM (SELECT rc.area_code, rc.period, rc.person, least(rc.amount, coalesce(sum(lf.amount), 0)) AS s
            FROM received rc
            LEFT JOIN local_flows lf ON lf.area_code = rc.area_code AND lf.period = rc.period
             AND lf.from_person = rc.person AND lf.to_local
             AND lf.created_at >= rc.first_at AND lf.created_at < rc.last_at + interval '90 days'
           GROUP BY rc.area_code, rc.period, rc.person, rc.amount) x
   WHERE s > 0 GROUP BY 1, 2
),
residents AS (SELECT area_code, period, count(*) AS residents, sum(k) AS residents_k FROM crc GROUP BY 1, 2)
SELECT c.area_code, c.period, jsonb_build_object(
  'residents', coalesce(rs.residents, 0), 'active', coalesce(pf.active, 0),
  'orgs_public', coalesce(s.public, 0), 'orgs_social', coalesce(s.social, 0),
  'orgs_commercial', coalesce(s.commercial, 0),
  'ties_total', coalesce(ot.total, 0), 'ties_cross', coalesce(ot.cross_sector, 0),
  'multi_sector', coalesce(pf.multi_sector, 0), 'public_contact', coalesce(pf.public_contact, 0),
  'ei_external', coalesce(ei.external, 0), 'ei_internal', coalesce(ei.internal, 0),
  'isolated', coalesce(i.isolated, 0),
  'gave_or_received', coalesce(rc.either, 0), 'gave_and_received', coalesce(rc.both, 0),
  'volunteers', coalesce(pf.volunteers, 0), 'volunteers_every_month', coalesce(pf.every_month, 0),
  'volunteer_minutes', jsonb_build_object('n', coalesce(pf.vol_n, 0), 'sum', coalesce(pf.vol_sum, 0),
                                          'top', coalesce(to_jsonb(pf.vol_top), '[]'::jsonb)),
  'repeat3', coalesce(pf.repeat3, 0), 'prev_active', coalesce(rt.prev_active, 0),
  'retained', coalesce(rt.retained, 0), 'single_org', coalesce(pf.single_org, 0),
  'org_interactions', coalesce(ol.loads, '[]'::jsonb),
  'keys', jsonb_strip_nulls(jsonb_build_object(
    'residents', rs.residents_k % 4294967296, 'active', pf.active_k % 4294967296,
    'multi_sector', pf.multi_sector_k % 4294967296, 'public_contact', pf.public_contact_k % 4294967296,
    'volunteers', pf.volunteers_k % 4294967296, 'volunteers_every_month', pf.every_month_k % 4294967296,
    'single_org', pf.single_org_k % 4294967296, 'repeat3', pf.repeat3_k % 4294967296,
    'volunteer_minutes', pf.vol_k % 4294967296, 'isolated', i.isolated_k % 4294967296,
    'gave_or_received', rc.either_k % 4294967296, 'gave_and_received', rc.both_k % 4294967296,
    'prev_active', rt.prev_active_k % 4294967296, 'retained', rt.retained_k % 4294967296,
    'orgs_public', s.public_k % 4294967296, 'orgs_social', s.social_k % 4294967296,
    'orgs_commercial', s.commercial_k % 4294967296, 'ties_total', ot.total_k % 4294967296,
    'ties_cross', ot.cross_k % 4294967296, 'ei_external', ei.external_k % 4294967296,
    'ei_internal', ei.internal_k % 4294967296)),
  'lm_r1', jsonb_build_object('n', coalesce(r1.n, 0), 'sum', coalesce(r1.total, 0), 'top', coalesce(to_jsonb(r1.top), '[]'::jsonb)),
  'lm_r2', jsonb_build_object('n', coalesce(r2.n, 0), 'sum', coalesce(r2.total, 0), 'top', coalesce(to_jsonb(r2.top), '[]'::jsonb)),
  'lm_r3', jsonb_build_object('n', coalesce(r3.n, 0), 'sum', coalesce(r3.total, 0), 'top', coalesce(to_jsonb(r3.top), '[]'::jsonb))
) AS parts
  FROM cells c
  LEFT JOIN residents rs USING (area_code, period)
  LEFT JOIN people_figures pf USING (area_code, period)
  LEFT JOIN sectors s USING (area_code, period)
  LEFT JOIN org_ties ot USING (area_code, period)
  LEFT JOIN ei USING (area_code, period)
  LEFT JOIN isolated i USING (area_code, period)
  LEFT JOIN reciprocity rc USING (area_code, period)
  LEFT JOIN retention rt USING (area_code, period)
  LEFT JOIN org_load ol USING (area_code, period)
  LEFT JOIN r1 USING (area_code, period)
  LEFT JOIN r2 USING (area_code, period)
  LEFT JOIN r3 USING (area_code, period)
"""

_KEYS = {
    "key_crc": _key("d.canonical_id"),
    "key_pp": _key("ca.canonical_id"),
    "key_prev": _key("p.canonical_id"),
    "key_org": _key("org_id"),
    "key_pair": _key("(t.o1::text || t.o2::text)"),
    "key_tie": _key("(canonical_id::text || other)"),
}
ROLLUP_FIGURES = _FIGURES.format(res=RES_ROLLUP, act=ACT_ROLLUP, tz=TZ, **_KEYS)
FULL_FIGURES = _FIGURES.format(res=RES_RAW, act=ACT_RAW, tz=TZ, **_KEYS)
