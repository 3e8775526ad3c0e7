"""The registry report: Markdown, JSON and HTML with plots."""
