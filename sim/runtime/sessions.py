"""boto3 sessions for the simulator's own clients, sharing one model loader.

Creating a boto3 session re-reads and re-parses botocore's JSON service models
(a third of a second for a few services). Every session the simulator makes
shares one botocore ``Loader``: it only caches immutable service models, so
sharing it changes no behaviour, and each simulation still has its own session
and clients.
"""

from __future__ import annotations

import boto3
import botocore.loaders
import botocore.session

_LOADER = botocore.loaders.create_loader()


def new_session() -> boto3.session.Session:
    core = botocore.session.get_session()
    core.register_component("data_loader", _LOADER)
    return boto3.session.Session(botocore_session=core)
