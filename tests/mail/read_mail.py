"""Reads one received mail (an .eml file) the way a mail client would, with Python's email
package, and prints what Settle's tests check as JSON: the headers, the text and HTML
parts, and each attachment (saved beside the mail as <file>.<n>.<ext>). Any defect the
parser found is listed, so a malformed message fails the test that reads it."""

import email
import email.policy
import json
import sys

path = sys.argv[1]
with open(path, "rb") as f:
    msg = email.message_from_binary_file(f, policy=email.policy.default)

out = {
    "headers": {k: str(v) for k, v in msg.items()},
    "contentType": msg.get_content_type(),
    "parts": [p.get_content_type() for p in msg.walk()],
    "defects": [repr(d) for p in msg.walk() for d in p.defects],
    "text": None,
    "html": None,
    "attachments": [],
}
body = msg.get_body(preferencelist=("plain",))
if body is not None:
    out["text"] = body.get_content()
html = msg.get_body(preferencelist=("html",))
if html is not None:
    out["html"] = html.get_content()
for n, part in enumerate(msg.iter_attachments()):
    data = part.get_content()
    saved = f"{path}.{n}.bin"
    with open(saved, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    out["attachments"].append(
        {"filename": part.get_filename(), "contentType": part.get_content_type(), "size": len(data), "path": saved}
    )
print(json.dumps(out))
