"""The embedded Celery broker (no Redis): kombu's file-system transport, with atomic writes.

kombu writes a message straight into the queue folder, and a worker polling that folder can
move and read the file before its content is written: it reads an empty message, fails with
`JSONDecodeError` and stops ("Unrecoverable error"; seen in the suite on a busy machine). Here a
message is written into a staging folder first and then renamed into the queue, so a reader
only ever sees whole messages. Settings select it with CELERY_BROKER_TRANSPORT when REDIS_URL
is not set.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        staged = Path(self.transport_options["staging_folder"]) / name
        try:
            staged.write_bytes(str_to_bytes(dumps(payload)))
            os.replace(staged, Path(self.data_folder_out) / name)  # atomic on one file system
        except OSError as exc:
            staged.unlink(missing_ok=True)
            raise ChannelError(f"Cannot add file {name!r} to the queue") from exc


class Transport(filesystem.Transport):
    Channel = Channel
