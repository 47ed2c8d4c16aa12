"""The object store the tests run against, and the settings that point media at one."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from core.storage import RENDITION_CACHE_CONTROL, storages_from_env
from tests.support.s3 import http_get


def test_the_store_serves_media_buckets_to_anyone_and_originals_to_the_key_only(s3_store):
    pair = s3_store.buckets()
    client = s3_store.client()
    client.put_object(Bucket=pair.media, Key="r/a.txt", Body=b"public")
    client.put_object(Bucket=pair.originals, Key="o/a.txt", Body=b"private")
    assert http_get(f"{s3_store.endpoint}/{pair.media}/r/a.txt")[::2] == (200, b"public")
    assert http_get(f"{s3_store.endpoint}/{pair.originals}/o/a.txt")[0] == 403
    assert s3_store.keys(pair.originals) == ["o/a.txt"]


def test_local_disk_is_the_default(tmp_path):
    found = storages_from_env({}, tmp_path)
    assert found["default"]["BACKEND"].endswith("FileSystemStorage")
    assert found["private"]["OPTIONS"] == {"location": str(tmp_path), "base_url": None}


def test_s3_settings_name_buckets_cache_headers_and_cdn(tmp_path):
    env = {
        "MEDIA_STORAGE": "s3",
        "S3_ENDPOINT_URL": "http://store:8333",
        "S3_BUCKET_MEDIA": "media",
        "S3_BUCKET_ORIGINALS": "originals",
        "S3_ACCESS_KEY_ID": "key",
        "S3_SECRET_ACCESS_KEY": "secret",
        "MEDIA_CDN_URL": "https://cdn.example.com/ugc/",
    }
    found = storages_from_env(env, tmp_path)
    media, originals = found["default"]["OPTIONS"], found["private"]["OPTIONS"]
    assert media["bucket_name"] == "media"
    assert media["object_parameters"]["CacheControl"] == RENDITION_CACHE_CONTROL
    assert media["querystring_auth"] is False
    assert (media["custom_domain"], media["url_protocol"]) == ("cdn.example.com/ugc", "https:")
    assert originals["querystring_auth"] is True
    assert originals["querystring_expire"] <= 600
    assert "custom_domain" not in originals


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"MEDIA_STORAGE": "s3", "S3_BUCKET_MEDIA": "m", "S3_BUCKET_ORIGINALS": "o"},
         "S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY"),
        ({"MEDIA_STORAGE": "s3", "S3_ACCESS_KEY_ID": "k", "S3_SECRET_ACCESS_KEY": "s"},
         "S3_BUCKET_MEDIA, S3_BUCKET_ORIGINALS"),
        ({"S3_BUCKET_MEDIA": "m"}, "MEDIA_STORAGE is not s3"),
        ({"MEDIA_STORAGE": "s3", "S3_BUCKET_MEDIA": "b", "S3_BUCKET_ORIGINALS": "b",
          "S3_ACCESS_KEY_ID": "k", "S3_SECRET_ACCESS_KEY": "s"}, "must differ"),
        ({"MEDIA_STORAGE": "s3", "S3_BUCKET_MEDIA": "m", "S3_BUCKET_ORIGINALS": "o",
          "S3_ACCESS_KEY_ID": "k", "S3_SECRET_ACCESS_KEY": "s", "MEDIA_CDN_URL": "cdn.com"},
         "MEDIA_CDN_URL"),
    ],
)  # fmt: skip
def test_a_half_s3_configuration_is_refused_naming_what_is_missing(tmp_path, env, named):
    with pytest.raises(ImproperlyConfigured, match=named):
        storages_from_env(env, tmp_path)
