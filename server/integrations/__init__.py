"""Other systems hear Caixiao's events: signed webhooks and DingTalk / WeCom group robots."""
