"""Reports on the ratings, for the console, the operator commands and (later) the public.

One module per report; all read the daily counts except where single
ratings are needed (complaints, sequence gaps). Days are local dates
(``ADMIN_TIMEZONE``) and ranges include both ends.
"""
