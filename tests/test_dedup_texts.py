"""Test data for dedup (no tests here): edited copies of the sample articles, unrelated short articles.

The sample articles are read from ``samples/text`` (part of the repository); the
edits imitate what syndication does to a wire story.
"""

from __future__ import annotations

from pathlib import Path

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "text"

CHROME_A = (
    "Subscribe to the Daily Courier for just £1 a week\n"
    "Sign up for our morning newsletter and never miss a story\n"
    "Share this article on Facebook Twitter WhatsApp Email\n"
)
CHROME_B = (
    "Advertisement\n"
    "Read more: the stories our readers are talking about today\n"
    "© 2023 Evening Gazette Media Group. All rights reserved. Cookie settings\n"
)
#: Forty words of site furniture that two different short articles can share.
HEAVY_CHROME = (
    "Get the latest news from your area sent straight to your inbox every morning by signing up "
    "to our free newsletter today. We use your sign-up to provide content in ways you have consented "
    "to and to improve our understanding of you.\n"
)


def seed_texts() -> list[str]:
    """The five sample articles, in file-name order."""
    return [p.read_text(encoding="utf-8") for p in sorted(SAMPLES.glob("*.txt"))]


def syndicated_copy(text: str) -> str:
    """The story as another outlet runs it: own chrome, headline and dateline,
    last paragraph cut, two typos."""
    paragraphs = [p for p in text.splitlines() if p.strip()]
    body = "\n\n".join(paragraphs[:-1])
    body = body.replace("officers", "oficers", 1).replace("police", "polcie", 1)
    return CHROME_B + "EXCLUSIVE: The row that shook Scotland Yard\n\nLONDON (Wire) — " + body + "\n" + CHROME_A


def mojibake(text: str) -> str:
    """UTF-8 read as Windows-1252, the commonest broken encoding in scraped news."""
    return text.encode("utf-8").decode("cp1252", errors="replace")


UNRELATED = {
    "bins": "Residents in Northfield will see their bin collections move from Monday to Tuesday from next month, the council has confirmed. Councillor Janet Hughes said the change would let crews cover the new estates on the edge of town without extra lorries. Green waste collections are not affected. The council will post a leaflet with the new calendar to every household in March, and residents can check their collection day on the council website. Missed collections should be reported within two working days.",
    "football": "Harbour Town FC came from two goals down to draw 2-2 with Westfield Rovers on Saturday in front of a crowd of 812 at Quay Park. Striker Dean Morris scored twice in the last twenty minutes after manager Paul Reid switched to a back three. Reid said his side had shown character but had to start games better. The draw leaves Harbour Town ninth in the Southern League table, six points off the play-off places, with a home game against Ashby United next week.",
    "school": "Pupils at St Mary's Primary School in Eastbrook raised £3,400 for a new library with a sponsored readathon over half term. Headteacher Claire Donnelly said more than 200 children took part, reading a combined total of 1,900 books. The money will buy shelving, beanbags and around 600 new titles chosen by the pupils themselves. The library is due to open in the spring, and parents have been invited to volunteer for weekly reading sessions.",
    "roadworks": "A stretch of the A614 near Ollerton will close overnight for five nights from Monday while the surface is replaced, Nottinghamshire County Council said. The road will shut between 8pm and 6am, with a signed diversion through Edwinstowe and Mansfield. Buses on the number 33 route will follow the diversion. The council said the work had been timed to avoid the busiest periods and apologised for any disruption to residents and businesses along the route.",
    "car_theft": "Police in Kent are appealing for witnesses after a car was stolen from a driveway in Maidstone overnight on Tuesday. The grey Ford Focus was taken from an address in Tonbridge Road between 11pm and 7am. Officers believe the thieves used a device to copy the signal from the key inside the house. Anyone with information or dashcam footage is asked to call Kent Police on 101 quoting reference 46/12345/23, or contact Crimestoppers anonymously.",
}
