"""Water intake: entries per local day and a daily goal."""
