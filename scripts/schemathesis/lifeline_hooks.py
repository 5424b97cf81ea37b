"""Schemathesis hooks for Lifeline's API (loaded by scripts/api-fuzz).

An upload chunk (`PATCH /api/v1/files/{id}`) is raw bytes of the media type
`application/offset+octet-stream`, which schemathesis has no serializer for: this sends
whatever it generated as those bytes.
"""

import schemathesis


@schemathesis.serializer("application/offset+octet-stream")
def offset_octet_stream(ctx, value):
    if value is None:
        return b""
    if isinstance(value, bytes):
        return value
    return str(value).encode()
