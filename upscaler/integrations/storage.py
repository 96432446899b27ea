"""S3-compatible storage whose presigned URLs may name another endpoint than the servers use.

In the compose stack web and worker reach MinIO at http://minio:9000, a name browsers cannot
resolve. A SigV4 signature covers the host, so the URL cannot be rewritten after signing:
it is signed by a second client configured with the public endpoint (signing is local, no
request is made). Without AWS_S3_PUBLIC_ENDPOINT_URL this is django-storages' S3Storage.
"""

from __future__ import annotations

import threading

from storages.backends.s3 import S3Storage
from storages.utils import clean_name


class PresignedS3Storage(S3Storage):
    #: Files go out as redirects to presigned URLs (integrations/file_responses.py).
    signs_urls = True

    def get_default_settings(self):
        return {**super().get_default_settings(), "public_endpoint_url": None}

    def url(self, name, parameters=None, expire=None, http_method=None):
        if not self.public_endpoint_url or self.custom_domain:
            return super().url(name, parameters=parameters, expire=expire, http_method=http_method)
        params = {**(parameters or {}), "Bucket": self.bucket_name, "Key": self._normalize_name(clean_name(name))}
        return self._public_client().generate_presigned_url(
            "get_object",
            Params=params,
            ExpiresIn=self.querystring_expire if expire is None else expire,
            HttpMethod=http_method,
        )

    def _public_client(self):
        local = self.__dict__.setdefault("_public_clients", threading.local())
        client = getattr(local, "client", None)
        if client is None:
            client = self._create_session().client(
                "s3",
                region_name=self.region_name,
                use_ssl=self.use_ssl,
                endpoint_url=self.public_endpoint_url,
                config=self.client_config,
                verify=self.verify,
            )
            local.client = client
        return client

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_public_clients", None)
        return state
