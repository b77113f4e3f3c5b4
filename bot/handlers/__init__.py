"""Feature handlers, written against the conversation core only (bot/conversation.py)."""
