"""The JSON API under /api/v1: personal access tokens, the same services as the HTML views, one error shape,
and an OpenAPI description generated from the views' models."""
