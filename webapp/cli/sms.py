"""`flask sms urls`: the webhook addresses each text-message provider calls."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from webapp.cli.common import fail
from webapp.sms import providers

group = AppGroup("sms", help="The directory by text message.")


@group.command("urls")
def sms_urls_cmd() -> None:
    """The webhook addresses to paste into each provider's console."""
    cfg = current_app.config
    if not cfg["HAVEN_SMS_SECRET"]:
        fail("text messages are off: set HAVEN_SMS_SECRET first")
    base = cfg["HAVEN_PUBLIC_URL"].rstrip("/")
    if not base.startswith("https://"):
        fail("set HAVEN_PUBLIC_URL to the site's https:// address: providers call it, and "
             "Twilio signs it")
    click.echo(f"generic:          POST {base}/sms/inbound  (X-Haven-Signature)")
    click.echo(f"Twilio SMS/WhatsApp: POST {base}/sms/twilio")
    click.echo(f"Vonage SMS:       POST {base}/sms/vonage  (signed webhooks, SHA-256 HMAC)")
    click.echo(f"Vonage Messages (WhatsApp): POST {base}/sms/vonage/messages  (signed JWT)")
    click.echo(f"Africa's Talking: POST {base}/sms/africastalking/"
               f"{providers.at_token(cfg['HAVEN_SMS_SECRET'])}")
