"""Decoding bytes as a browser does: every path, and real pages re-encoded in legacy charsets."""

import gzip
import json

import pytest

from conftest import ROOT
from corpus.clean import CleaningError, clean_html
from corpus.readers import read
from corpus.readers.decoding import NotText, decode, detect_encoding, encoding_of_label, meta_charset

SHARED = ROOT.parent / "shared" / "bench-data"
POLISH = "Policjanci z Łodzi odmówili noszenia broni. Żaden z nich nie złożył wyjaśnień. " * 3
GERMAN = "Die Beamten weigerten sich, Waffen zu tragen. Ärger über die Anklage wächst in München. " * 3


def page(body: str, head: str = "") -> str:
    return f"<html><head>{head}<title>Polizei</title></head><body><article><p>{body}</p></article></body></html>"


def test_a_bom_decides_over_everything():
    data = "\ufeff".encode("utf-16-le") + page(GERMAN, '<meta charset="windows-1252">').encode("utf-16-le")
    decoded = decode(data, content_type="text/html; charset=iso-8859-2", html=True)
    assert (decoded.encoding, decoded.found_by) == ("utf-16le", "bom") and GERMAN in decoded.text


def test_the_http_charset_decides_before_the_meta_declaration():
    data = page(POLISH, '<meta charset="windows-1252">').encode("iso-8859-2")
    decoded = decode(data, content_type='text/html; charset="ISO-8859-2"', html=True)
    assert (decoded.encoding, decoded.found_by) == ("iso-8859-2", "http") and POLISH in decoded.text


@pytest.mark.parametrize("declaration", ['<meta charset="iso-8859-2">', "<META CHARSET=latin2>",
                                         '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-2">',
                                         "<meta content='text/html;charset=l2' http-equiv=content-type>"])
def test_the_meta_declaration_in_each_spelling(declaration):
    decoded = decode(page(POLISH, declaration).encode("iso-8859-2"), html=True)
    assert (decoded.encoding, decoded.found_by) == ("iso-8859-2", "meta") and POLISH in decoded.text


def test_the_prescan_skips_comments_other_tags_and_pragma_less_content():
    data = (b'<!-- <meta charset="koi8-r"> --><link title="<meta charset=gbk>">'
            b'<meta content="text/html; charset=big5"><meta charset="iso-8859-2">')
    assert meta_charset(data) == "iso-8859-2"
    assert meta_charset(b'<meta charset="utf-16le">') == "utf-8"  # an ASCII declaration of UTF-16 means UTF-8
    assert meta_charset(b'<meta charset="no-such-encoding">') is None


def test_a_declaration_past_1024_bytes_counts():
    head = "<script>" + "var x = 1;\n" * 300 + "</script>" + '<meta charset="windows-1252">'
    data = page(GERMAN, head).encode("cp1252")
    assert data.index(b"<meta") > 1024
    assert (decode(data, html=True).found_by, decode(data, html=True).text) == ("meta", data.decode("cp1252"))


def test_without_a_declaration_the_encoding_is_detected():
    decoded = decode(page(POLISH).encode("iso-8859-2"), html=True)
    assert (decoded.encoding, decoded.found_by) == ("iso-8859-2", "detected") and POLISH in decoded.text
    text = "中国警方表示，数百名警察拒绝携带枪支。这一决定引起了广泛的争议和讨论。" * 4
    decoded = decode(text.encode("gbk"))
    assert decoded.encoding in ("gbk", "gb18030") and decoded.text == text


def test_utf8_bytes_stay_utf8_whatever_the_page_declares():
    data = page("数百名警察拒绝携带枪支。", '<meta charset="gb2312">').encode("utf-8")
    decoded = decode(data, content_type="text/html; charset=gbk", html=True)
    assert (decoded.encoding, decoded.found_by, decoded.text) == ("utf-8", "utf-8", data.decode("utf-8"))


def test_a_declaration_the_bytes_cannot_be_read_in_gives_way():
    # Declared UTF-8 and shift_jis, but the bytes are windows-1252: neither declaration decodes them.
    data = page(GERMAN, '<meta charset="utf-8">').encode("cp1252")
    decoded = decode(data, content_type="text/html; charset=shift_jis", html=True)
    assert decoded.encoding == "windows-1252" and GERMAN in decoded.text


def test_a_body_cut_inside_its_last_character_is_utf8():
    data = "Polizei in München".encode("utf-8") + "ü".encode("utf-8")[:1]
    decoded = decode(data)
    assert (decoded.encoding, decoded.text, decoded.replaced) == ("utf-8", "Polizei in München\ufffd", 1)


def test_labels_map_as_the_encoding_standard_says():
    assert [encoding_of_label(x) for x in ("iso-8859-1", "ASCII", "gb2312", "x-sjis", "ks_c_5601-1987", "cp1250")] == [
        "windows-1252", "windows-1252", "gbk", "shift_jis", "euc-kr", "windows-1250"]
    # windows-1252's five bytes Python leaves undefined are C1 controls, as in the standard's index.
    assert decode(b"abc\x81def", content_type="text/plain; charset=windows-1252").text == "abc\x81def"


def test_binary_is_rejected_naming_the_line():
    with pytest.raises(NotText, match="NUL bytes") as err:
        decode(b"first\nsecond\x00\x01\x02")
    assert err.value.line == 2


def test_clean_html_takes_bytes_and_headers():
    data = page(POLISH).encode("iso-8859-2")
    doc = clean_html(data, url="https://wiadomosci.lodz.example/a", headers={"content-type": "text/html; charset=latin2"})
    assert "Policjanci z Łodzi odmówili" in doc.text
    assert (doc.metadata["encoding"], doc.metadata["encoding_from"]) == ("iso-8859-2", "http")
    assert clean_html(data).text == clean_html(data.decode("iso-8859-2")).text
    with pytest.raises(CleaningError, match="not text"):
        clean_html(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")


def test_a_legacy_html_file_is_read_and_cleans_like_its_utf8_original(tmp_path):
    (tmp_path / "utf8.html").write_text(page(POLISH, '<meta charset="utf-8">'), encoding="utf-8")
    (tmp_path / "legacy.html").write_bytes(page(POLISH, '<meta charset="iso-8859-2">').encode("iso-8859-2"))
    rejects = []
    docs = {d.id: d for d in read(tmp_path, on_reject=rejects.append)}
    assert rejects == [] and docs["legacy"].metadata["encoding_from"] == "meta"
    assert clean_html(docs["legacy"].text).text == clean_html(docs["utf8"].text).text


REAL_PAGES = [("readability", "heise", "windows-1252"), ("readability", "aktualne", "iso-8859-2"),
              ("readability", "gmw", "gbk"), ("readability", "yahoo-4", "shift_jis")]


@pytest.mark.parametrize("dataset,name,encoding", REAL_PAGES)
def test_a_real_page_re_encoded_cleans_to_the_same_text(dataset, name, encoding):
    path = SHARED / dataset / "html" / f"{name}.html.gz"
    if not path.exists():
        pytest.skip(f"{path} is absent (the shared bench data are not on this machine)")
    original = gzip.decompress(path.read_bytes()).decode("utf-8-sig")
    legacy = original.encode(encoding, errors="xmlcharrefreplace")
    with pytest.raises(UnicodeDecodeError):
        legacy.decode("utf-8")  # the page has text outside ASCII: it takes the legacy path
    for headers in ({"Content-Type": f"text/html; charset={encoding}"}, None):
        assert clean_html(legacy, headers=headers).text == clean_html(legacy.decode(encoding)).text


def test_the_shared_pages_declare_what_their_readme_says():
    truth = SHARED / "readability" / "ground-truth.json"
    if not truth.exists():
        pytest.skip(f"{truth} is absent (the shared bench data are not on this machine)")
    qq = gzip.decompress((SHARED / "readability" / "html" / "qq.html.gz").read_bytes())
    assert json.loads(truth.read_text(encoding="utf-8"))["qq"]["declared_charset"] == "gb2312"
    assert meta_charset(qq) == "gbk" and decode(qq, html=True).encoding == "utf-8"


def test_a_western_language_page_is_not_taken_for_central_european():
    # An English page with a few accented names: uchardet alone reads it as iso-8859-2 (naïve as naďve),
    # one letter windows-1252 lacks, too few to believe it (see the next test).
    body = "Officers at the Château said the naïve plan failed; Müller and Gómez agreed. "
    def html(head: str, text: str = body) -> bytes:
        return f"<html{head}><head><title>Police</title></head><body><p>{text}</p></body></html>".encode("cp1252")
    assert detect_encoding(html("")) == "iso-8859-2" and decode(html(""), html=True).encoding == "windows-1252"
    # A French page read as windows-1250 has many such letters (è as č, à as ŕ): its lang decides.
    french = "Hélène a dit « c’est déjà la fête » à la préfecture, près de l’église. " * 3
    assert decode(html("", french), html=True, detect=lambda _: "windows-1250").encoding == "windows-1250"
    assert decode(html(' lang="fr"', french), html=True, detect=lambda _: "windows-1250").encoding == "windows-1252"
    decoded = decode(html(' lang="en-GB"'), html=True)
    assert (decoded.encoding, decoded.found_by) == ("windows-1252", "detected") and body in decoded.text
    # A page in Polish keeps what detection says.
    polish = f'<html lang="pl"><body><p>{POLISH}</p></body></html>'.encode("iso-8859-2")
    assert decode(polish, html=True).encoding == "iso-8859-2"


JAPANESE = "警察官らは銃の携帯を拒否した。この決定は大きな議論を呼んでいる。" * 3
KOREAN = "경찰관들은 총기 휴대를 거부했다. 이 결정은 큰 논란을 불러일으켰다." * 3
# An English page naming a manga, as readability/wikipedia-4 does: uchardet reads it as iso-8859-2.
MANGA = "The manga Boku dake ga Inai Machi (僕だけがいない街, “The Town Where Only I Am Missing”) was adapted in 2016."


@pytest.mark.parametrize("text,codec,encoding", [(JAPANESE, "shift_jis", "shift_jis"), (JAPANESE, "euc_jp", "euc-jp"),
                                                 (MANGA, "shift_jis", "shift_jis"), (MANGA, "euc_jp", "euc-jp"),
                                                 (KOREAN, "euc_kr", "euc-kr")],
                         ids=["ja-shift_jis", "ja-euc-jp", "manga-shift_jis", "manga-euc-jp", "ko-euc-kr"])
@pytest.mark.parametrize("detected", [None, "windows-1252", "iso-8859-2"])
def test_japanese_and_korean_detection_missed_are_read_in_their_encoding(text, codec, encoding, detected):
    for data, html in ((page(text).encode(codec), True), (text.encode(codec), False)):
        decoded = decode(data, html=html, detect=lambda _: detected)
        assert (decoded.encoding, decoded.found_by) == (encoding, "detected") and text in decoded.text


@pytest.mark.parametrize("text", ["Hélène a dit « c’est déjà la fête » à la préfecture.",
                                  "El señor Muñoz explicó que la policía no llevará armas en la campaña.",
                                  "ÄRGER ÜBER DIE GROßE STRAßE IN MÜNCHEN",  # halfwidth katakana in shift_jis
                                  "“Quoted” words and ‘curly’ quotes—dashes…"],  # hangul outside KS X 1001 in cp949
                         ids=["fr", "es", "de-capitals", "quotes"])
def test_western_text_detection_missed_is_not_taken_for_japanese_or_korean(text):
    decoded = decode(text.encode("cp1252"), detect=lambda _: None)
    assert (decoded.encoding, decoded.found_by, decoded.text) == ("windows-1252", "default", text)
    # A declaration is never second-guessed: declared shift_jis bytes that read as Western stay shift_jis.
    declared = decode("Il a dit « déjà ».".encode("shift_jis", errors="ignore") + b"\x83A",
                      content_type="text/plain; charset=shift_jis", detect=lambda _: "windows-1252")
    assert declared.found_by == "http"


def test_a_western_page_with_one_other_latin_letter_is_windows_1252():
    # readability/wapo-1 and videos-1: a cent sign, or a single è, and uchardet says windows-1258 or -1250.
    body = "The Post’s report said tickets cost 5¢ at the door — “a bargain,” he said. "
    data = page(body).encode("cp1252")
    assert (decode(data, html=True).encoding, decode(data, html=True).text) == ("windows-1252", data.decode("cp1252"))
    one = "Officers at the café said the plan failed — Mr Lefèvre agreed. ".encode("cp1252")
    assert decode(one, detect=lambda _: "windows-1250").encoding == "windows-1252"
    # French and Spanish pages stay windows-1252; Polish and Czech text, with its many such letters, stays -1250.
    for text in ("Hélène a dit « c’est déjà la fête » à la préfecture. " * 3,
                 "El señor Muñoz explicó que la policía no llevará armas en la campaña. " * 3):
        assert decode(page(text).encode("cp1252"), html=True).encoding == "windows-1252"
    czech = "Policisté v Brně odmítli nosit zbraně. Řekl to mluvčí. " * 3
    for text in (POLISH, czech):
        decoded = decode(text.encode("cp1250"), detect=lambda _: "windows-1250")
        assert (decoded.encoding, decoded.text) == ("windows-1250", text)
