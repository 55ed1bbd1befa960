"""AWS-shaped error responses, so clients raise the same ClientError they get from AWS."""

from __future__ import annotations

import json
import uuid
from xml.sax.saxutils import escape

from .calls import Call, Response

# Query-protocol services whose errors use EC2's <Response><Errors> envelope.
_EC2_STYLE = {"ec2"}


def error(call: Call, code: str, message: str, status: int = 400, sender: bool = True) -> Response:
    """Render an error the way ``call``'s service protocol does on AWS."""
    rid = str(uuid.uuid4())
    if call.protocol in ("json", "rest-json"):
        body = json.dumps({"__type": code, "message": message, "Message": message})
        headers = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": code, "x-amzn-RequestId": rid}
        return Response(status, headers, body.encode())
    if call.service in _EC2_STYLE:
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error>'
            f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error></Errors>"
            f"<RequestID>{rid}</RequestID></Response>"
        )
    elif call.protocol == "rest-xml":
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{escape(code)}</Code>'
            f"<Message>{escape(message)}</Message><RequestId>{rid}</RequestId></Error>"
        )
    else:
        kind = "Sender" if sender else "Receiver"
        body = (
            f"<ErrorResponse><Error><Type>{kind}</Type><Code>{escape(code)}</Code>"
            f"<Message>{escape(message)}</Message></Error><RequestId>{rid}</RequestId></ErrorResponse>"
        )
    return Response(status, {"Content-Type": "text/xml", "x-amzn-RequestId": rid}, body.encode())
