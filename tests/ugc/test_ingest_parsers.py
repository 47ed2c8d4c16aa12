"""The pure parsers: CSV, folder, Instagram and TikTok exports. Bad input, clear errors."""

from __future__ import annotations

import codecs
from datetime import UTC, datetime

import pytest

from ugc.ingest.csv_rows import parse_csv
from ugc.ingest.folder import parse_folder
from ugc.ingest.items import SourceError
from ugc.ingest.platforms import detect_kind, parse_instagram, parse_tiktok

HEADER = "file,url,caption,creator,platform,permalink,posted_at,product_skus,platform_id\n"


def write(tmp_path, text: str, encoding="utf-8", name="import.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_csv_rows_become_inputs(tmp_path):
    (tmp_path / "pics").mkdir()
    path = write(
        tmp_path,
        HEADER + "pics/a.jpg,,Hello #Summer,@Ann,instagram,https://instagram.com/p/1,"
        "2024-05-01T10:00:00Z,MUG-1; MUG-2 | MUG-1,ig1\n"
        "\n"
        ",https://cdn.example.com/b.jpg,,bob,TikTok,,1714557600,,\n",
    )
    first, second = list(parse_csv(path))
    assert first.key == "row 1" and second.key == "row 2"
    assert first.input.file_path == str(tmp_path / "pics" / "a.jpg")
    assert first.input.product_skus == ["MUG-1", "MUG-2"]
    assert first.input.posted_at == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert first.input.creator_handle == "@Ann" and first.input.platform_id == "ig1"
    assert second.input.platform == "tiktok" and second.input.media_url.endswith("b.jpg")
    assert second.input.posted_at == datetime(2024, 5, 1, 10, tzinfo=UTC)


def test_missing_required_columns_is_one_error_naming_them(tmp_path):
    path = write(tmp_path, "caption,permalink\nhi,https://x.test/\n")
    with pytest.raises(SourceError) as error:
        list(parse_csv(path))
    message = str(error.value)
    assert "missing required column(s): creator, platform, file or url" in message


def test_a_default_platform_stands_in_for_the_column(tmp_path):
    path = write(tmp_path, "url,caption,creator\nhttps://x.test/a.jpg,hi,ann\n")
    (item,) = parse_csv(path, default_platform="review")
    assert item.input.platform == "review"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
def test_encodings(tmp_path, encoding):
    path = write(
        tmp_path, HEADER + ",https://x.test/a.jpg,Café crème,zoë,instagram,,,,\n", encoding
    )
    (item,) = parse_csv(path)
    assert item.input.caption == "Café crème" and item.input.creator_handle == "zoë"


def test_a_bom_does_not_hide_the_first_column(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(codecs.BOM_UTF8 + b"url,caption,creator,platform\nhttps://x.test/a,c,d,x\n")
    (item,) = parse_csv(path)
    assert item.input.media_url == "https://x.test/a"


def test_undecodable_or_binary_files_are_refused(tmp_path):
    undecodable = tmp_path / "bad.csv"
    undecodable.write_bytes(HEADER.encode() + b"\x81\x8d\x8f\x90\x9d,x,y,z,instagram,,,,\n")
    with pytest.raises(SourceError, match="neither UTF-8 nor Windows-1252"):
        list(parse_csv(undecodable))
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(SourceError, match="NUL"):
        list(parse_csv(binary))
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(SourceError, match="empty"):
        list(parse_csv(empty))


@pytest.mark.parametrize(
    "cell",
    [
        "=cmd|' /C calc'!A0",
        '=HYPERLINK("http://evil.test","x")',
        "+cmd|' /C calc'!A0",
        "-2+3+cmd|' /C calc'!A0",
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "\t=1+1",
    ],
)
def test_formula_looking_cells_are_kept_as_data(tmp_path, cell):
    # A cell is data on import (as in commerce's imports); exports neutralise formulas.
    quoted = '"' + cell.replace('"', '""') + '"'
    path = write(
        tmp_path,
        HEADER
        + f",https://x.test/a.jpg,{quoted},ann,instagram,,,,\n"
        + ",https://x.test/b.jpg,@ann loves it - really,ann,instagram,,,,\n",
    )
    formula, mention = parse_csv(path)
    assert formula.input.caption == cell.strip() and not formula.error
    assert mention.input.caption == "@ann loves it - really"


def test_bad_rows_are_errors_with_row_numbers_and_good_rows_survive(tmp_path):
    path = write(
        tmp_path,
        HEADER
        + ",https://x.test/1.jpg,ok,ann,instagram,,,,\n"
        + ",,no media,ann,instagram,,,,\n"
        + ",ftp://x.test/2.jpg,,ann,instagram,,,,\n"
        + ",https://x.test/3.jpg,,ann,myspace,,,,\n"
        + ",https://x.test/4.jpg,,ann,instagram,,yesterday,,\n"
        + ",https://x.test/5.jpg,,ann,instagram,,,,,,,,too,many\n"
        + ",https://x.test/6.jpg,ok too,ann,instagram,,,,\n",
    )
    items = list(parse_csv(path))
    assert [bool(item.input) for item in items] == [True, False, False, False, False, False, True]
    errors = [item.error for item in items if item.error]
    assert "row 2: file: needs a file, a URL or a platform id" in errors[0]
    assert "row 3: media_url: must be an http or https URL" in errors[1]
    assert "row 4: platform: unknown platform 'myspace'" in errors[2]
    assert "row 5: posted_at" in errors[3]
    assert "row 6" in errors[4] and "columns" in errors[4]


def test_folder(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.JPG").write_bytes(b"\xff\xd8\xff\xe0" + b"x" * 20)
    (tmp_path / "sub" / "b.mp4").write_bytes(b"\x00\x00\x00\x18ftypisom" + b"\x00" * 12)
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / ".hidden.jpg").write_bytes(b"x")
    items = list(parse_folder(tmp_path, platform="review"))
    assert [item.key for item in items] == ["a.JPG", "notes.txt", "sub/b.mp4"]
    assert items[0].input.media_type == "image" and items[2].input.media_type == "video"
    assert items[0].input.platform == "review"
    assert "notes.txt: The file is plain text" in items[1].error
    with pytest.raises(SourceError):
        list(parse_folder(tmp_path / "a.JPG"))


INSTAGRAM = {
    "data": [
        {
            "id": "1790",
            "caption": "Sunday #brunch",
            "media_type": "IMAGE",
            "media_url": "https://cdn.test/1790.jpg",
            "permalink": "https://www.instagram.com/p/A/",
            "timestamp": "2024-03-01T09:30:00+0000",
            "username": "ann",
            "like_count": 12,
            "comments_count": 3,
        },
        {
            "id": "1791",
            "media_type": "CAROUSEL_ALBUM",
            "caption": "two looks",
            "username": "bob",
            "timestamp": "2024-03-02T09:30:00+0000",
            "children": {
                "data": [
                    {"id": "1791-1", "media_type": "IMAGE", "media_url": "https://cdn.test/a"},
                    {"id": "1791-2", "media_type": "VIDEO", "media_url": "https://cdn.test/b"},
                    "not an object",
                ]
            },
        },
        ["wrong", "shape"],
        {"caption": "no id"},
        {"id": "1792", "media_type": "STORY"},
        {"id": "1793", "media_type": "IMAGE", "timestamp": "someday"},
        {"id": 1794, "media_type": "VIDEO", "media_url": "https://cdn.test/v.mp4"},
    ],
    "paging": {"cursors": {"before": "a", "after": "b"}},
}


def test_instagram_media_and_carousels():
    assert detect_kind(INSTAGRAM) == "instagram"
    items = list(parse_instagram(INSTAGRAM))
    good = [item for item in items if item.input]
    assert [item.input.platform_id for item in good] == ["1790", "1791-1", "1791-2", "1794"]
    first = good[0].input
    assert first.platform_metrics == {"likes": 12, "comments": 3}
    assert first.posted_at == datetime(2024, 3, 1, 9, 30, tzinfo=UTC)
    assert good[1].input.caption == "two looks" and good[1].input.creator_handle == "bob"
    assert good[2].input.media_type == "video" and good[3].input.media_type == "video"
    errors = [item.error for item in items if item.error]
    assert len(errors) == 5
    assert any("children.data.2" in error for error in errors)
    assert any("data.2: expected a media object, got list" in error for error in errors)
    assert any("data.3.id: missing" in error for error in errors)
    assert any("media_type: expected IMAGE, VIDEO or CAROUSEL_ALBUM" in error for error in errors)
    assert any("data.5.timestamp" in error for error in errors)


@pytest.mark.parametrize(
    "document", [{"data": "nope"}, {"paging": {}}, "a string", 42, {"data": {"x": 1}}]
)
def test_instagram_wrong_shape_is_one_clear_error(document):
    with pytest.raises(SourceError, match=r"Instagram|data"):
        list(parse_instagram(document))


def test_tiktok_videos():
    document = {
        "data": {
            "videos": [
                {
                    "id": "7301",
                    "title": "Unboxing",
                    "video_description": "Unboxing the new #mug",
                    "cover_image_url": "https://p16.test/cover.jpg",
                    "share_url": "https://www.tiktok.com/@ann/video/7301",
                    "embed_link": "https://www.tiktok.com/embed/7301",
                    "create_time": 1714557600,
                    "like_count": 5,
                    "comment_count": 1,
                    "share_count": 2,
                    "view_count": 100,
                    "duration": 12,
                    "width": 1080,
                    "height": 1920,
                },
                {"title": "no id"},
                "junk",
                {"id": "7302", "create_time": "not a time"},
            ],
            "cursor": 0,
            "has_more": False,
        },
        "error": {"code": "ok"},
    }
    assert detect_kind(document) == "tiktok"
    good, no_id, junk, bad_time = parse_tiktok(document)
    item = good.input
    assert item.platform_id == "7301" and item.media_type == "video"
    assert item.caption == "Unboxing the new #mug"
    assert item.platform_metrics == {"likes": 5, "comments": 1, "shares": 2, "views": 100}
    assert (item.width, item.height, item.duration_seconds) == (1080, 1920, 12.0)
    assert item.permalink.endswith("/7301") and item.media_url == ""
    assert item.platform_links["embed_url"].endswith("/embed/7301")
    assert "id: missing" in no_id.error and "expected a video object" in junk.error
    assert "create_time" in bad_time.error
    with pytest.raises(SourceError, match="TikTok"):
        list(parse_tiktok({"data": {"videos": {}}}))
