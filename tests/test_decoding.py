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


# Short news texts in the languages of the corpus, each in the legacy encodings it was published in.
NEWS = {
    "pl": "Policja w Łodzi zatrzymała we wtorek dwóch mężczyzn podejrzanych o kradzież. Śledztwo prowadzi "
          "prokuratura okręgowa, która nie ujawnia szczegółów.",
    "cs": "Policisté v Brně zadrželi ve středu dva muže podezřelé z krádeže. Případ vyšetřuje státní "
          "zastupitelství, které podrobnosti nesdělilo.",
    "de": "Die Polizei in München nahm am Dienstag zwei Männer fest. „Wir ermitteln in alle Richtungen“, sagte "
          "ein Sprecher. Größere Schäden gab es nicht.",
    "fr": "La préfecture a confirmé mardi l’arrestation de deux hommes. « C’est une enquête délicate », a déclaré "
          "le procureur, qui n’a pas précisé les faits.",
    "ru": "Полиция Москвы задержала во вторник двух мужчин. Следствие ведёт прокуратура, которая не раскрывает "
          "подробностей. Об этом сообщил Интерфакс.",
    "el": "Η αστυνομία της Αθήνας συνέλαβε την Τρίτη δύο άνδρες. Την έρευνα διεξάγει η εισαγγελία, η οποία δεν "
          "έδωσε λεπτομέρειες.",
    "tr": "İstanbul polisi salı günü iki şüpheliyi gözaltına aldı. Soruşturmayı yürüten savcılık ayrıntı vermedi.",
    # English naming a few Poles: the letters that tell (ł, ż, ą...) are too few for uchardet's statistics.
    "en-pl": "The mayor of Gdańsk, Paweł Adamowicz, was stabbed on stage; Lech Wałęsa and Róża Thun spoke at the "
             "funeral in Łódź.",
}


@pytest.mark.parametrize("language,codec,detected,encoding", [
    ("pl", "iso8859-2", "windows-1252", "iso-8859-2"),    # ł ś ż ą as ³ ¶ ¿ ± inside words
    ("pl", "cp1250", "windows-1252", "windows-1250"),     # and iso-8859-2 reads its ś as a C1 control
    ("pl", "iso8859-2", None, "iso-8859-2"),              # no detection: not the windows-1252 default
    ("cs", "iso8859-2", "windows-1252", "iso-8859-2"),    # š ž as ¹ ¾
    ("de", "cp1252", "iso-8859-7", "windows-1252"),       # ü as ό beside Latin letters, „“ as C1 controls
    ("fr", "cp1252", "iso-8859-2", "windows-1252"),       # è as č passes for Czech, but ’ is a C1 control
    ("ru", "cp1251", "koi8-r", "windows-1251"),           # koi8-r: "пОЛИЦИЯ мОСКВЫ", a capital after a small letter
    ("ru", "koi8_r", "windows-1251", "koi8-r"),
    ("el", "iso8859-7", "windows-1252", "iso-8859-7"),    # ή as Þ after a small letter: "ÁèÞíá"
    ("en-pl", "iso8859-2", "windows-1252", "iso-8859-2"),
], ids=lambda value: str(value))
def test_a_reading_gives_way_to_a_far_less_garbled_sibling(language, codec, detected, encoding):
    text = NEWS[language]
    decoded = decode(text.encode(codec), detect=lambda _: detected)
    assert (decoded.encoding, decoded.found_by, decoded.text) == (encoding, "detected", text)


def test_an_english_page_with_polish_names_is_read_in_their_encoding_whatever_its_lang():
    # <html lang="en"> makes a Central European detection windows-1252 (an English page's ñ read as ń),
    # and windows-1252 reads these names "Wa³êsa", "Pawe³": the marks take it back.
    data = f'<html lang="en"><body><p>{NEWS["en-pl"]}</p></body></html>'.encode("iso8859-2")
    decoded = decode(data, html=True)
    assert decoded.encoding == "iso-8859-2" and NEWS["en-pl"] in decoded.text


def test_letters_that_read_as_letters_either_way_leave_the_choice_to_the_detector():
    # Turkish ğ ş ı are ð þ ý in windows-1252, Czech windows-1250's č ř ě are è ø ì: words of letters in
    # both readings, no evidence against either, so what detection says stands.
    for text, codec, encoding in ((NEWS["tr"], "cp1254", "windows-1254"), (NEWS["cs"], "cp1250", "windows-1250")):
        data = text.encode(codec)
        assert decode(data).encoding == encoding
        assert decode(data, detect=lambda _: "windows-1252").encoding == "windows-1252"


@pytest.mark.parametrize("text", [
    # Mojibake in the original itself (UTF-8 once read as Latin-1), windows-1250 reads it less garbled.
    "Alterar para 0 se nÃ£o houver espaÃ§o abaixo, fora da funÃ§Ã£o — à tarde.",
    "Setting up¶\n\nConclusion¶\n\nThe café sells 5 m³ of ice at 3 km² per day, Brand® and Name™ say.",
])
def test_a_western_text_with_marks_of_its_own_stays_windows_1252(text):
    decoded = decode(text.encode("cp1252"), detect=lambda _: "windows-1252")
    assert (decoded.encoding, decoded.text) == ("windows-1252", text)
