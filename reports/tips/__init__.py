"""Anonymous web tips: the public pages (no login) and what they do.

codes.py    tracking codes: generation, normalisation, keyed hash
services.py tip_submit, tip_find, tip_add_information, tip_reply
ratelimit.py a small cache-based limiter keyed by a hash of the client address
forms.py, views.py  the public pages (urls in reports/tip_urls.py)
"""
