"""The staff area: sign-in with password + TOTP, unlock, the tip inbox, accounts, statistics.

Each feature owns a blueprint made by `blueprints.staff_blueprint`; create_app registers them.
"""
