"""The directory by text message (SMS, and WhatsApp through the same providers)."""
