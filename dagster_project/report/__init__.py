"""The loop around the publication: the monthly report (PDF) and the alert e-mails.

Reads only the published file (read-only), never the build database: what a report or an
alert shows is what the dashboards show.
"""
