"""What the server-rendered pages (the residents' portal, the staff console) share: a page's
cookies, CSRF token and security headers, and the templates' macros."""
