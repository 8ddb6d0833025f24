"""The automated-negotiation field's file formats: GENIUS XML, read and written (``negosim import``/``export``)."""
