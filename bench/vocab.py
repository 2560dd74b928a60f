"""The words the generator draws from: names, places, site chrome, synonyms.

Kept apart from :mod:`bench.generate` so the generator reads as the steps it
takes, and this file as the data it needs (ftfy's ``chardata.py`` split).
"""

from __future__ import annotations

FIRST_NAMES = (
    "Amelia Oliver Isla George Ava Noah Mia Arthur Ivy Leo Freya Oscar Lily Harry Grace Jack Sophia "
    "Theo Rosie Alfie Evie Henry Ella Finley Poppy Archie Aisha Tariq Priya Kwame Chen Olu Mateo "
    "Lucia Dmitri Ingrid Siobhan Ewan Niamh Rhys Carys Ravi Fatima Yusuf Zara Kofi Ines Lars Helga"
).split()

LAST_NAMES = (
    "Whitfield Okafor Brennan Castellano Haverford Lindqvist Mbeki Thornton Achterberg Pemberton "
    "Nakamura Delacroix Fairweather Ashdown Kowalczyk Rutherford Osei Blackwood Moreau Halvorsen "
    "Carrington Adeyemi Winslow Barrington Quinlan Maddox Ferreira Lockhart Sandoval Ellery Vance "
    "Trelawney Abernathy Holloway Kingsley Marchetti Oduya Strand Winterbourne Callaghan Dufresne"
).split()

PLACES = (
    "Hartlepool Norwich Swansea Aberdeen Carlisle Exeter Lisburn Dundee Wrexham Grimsby Salford "
    "Ipswich Truro Inverness Bangor Stockport Luton Derby Gloucester Lancaster Harrogate Falkirk "
    "Bournemouth Peterborough Motherwell Newry Barnsley Yeovil Hereford Kendal Oban Wick Durham"
).split()

ORGS = (
    "Highways Agency|Fire Brigades Union|Environment Agency|Crown Prosecution Service|Health Trust|"
    "Water Board|Teachers Union|Port Authority|Rail Operator|Housing Association|County Council|"
    "Coastguard Service|Ambulance Service|Prison Service|Border Force|Energy Regulator|Schools Trust"
).split("|")

ROLES = (
    "chief executive|spokesperson|union representative|council leader|chief inspector|junior minister|"
    "shadow secretary|regional director|senior coroner|head teacher|local MP|campaign organiser"
).split("|")

TOPICS = (
    "flooding|pay dispute|hospital closure|rail strike|school inspection|bridge collapse|"
    "water contamination|planning row|prison escape|port delays|housing shortage|wildfire|"
    "energy prices|bus cuts|court ruling|data breach|factory fire|coastal erosion"
).split("|")

# Proper nouns of the seed articles that a generated base swaps for its own,
# so that bases trained on the seeds tell different stories.
SEED_ENTITIES = {
    "person": ("Kaba", "Chris", "Braverman", "Suella", "Everard", "Sarah", "Rowley", "Mark", "Sunak", "Rishi"),
    "place": ("London", "Streatham", "Britain", "England", "Wales", "UK"),
    "org": ("Met", "Metropolitan", "Inquest", "IOPC", "Scotland", "Yard", "Home", "Office"),
    "code": ("NX121",),
}

# Synonyms used both for light word edits of copies and for rewording a story.
SYNONYMS = {
    "said": "stated", "says": "states", "told": "informed", "officers": "personnel",
    "officer": "constable", "police": "law enforcement", "decision": "move", "charged": "indicted",
    "shooting": "gunfire", "refuse": "decline", "refused": "declined", "public": "community",
    "force": "service", "colleagues": "peers", "concerns": "worries", "crisis": "emergency",
    "murder": "killing", "review": "inquiry", "government": "ministers", "support": "backing",
    "including": "among them", "however": "but", "after": "following", "before": "prior to",
    "because": "as", "many": "numerous", "several": "a number of", "large": "big", "small": "minor",
    "began": "started", "began.": "started.", "announced": "declared", "agreed": "accepted",
    "warned": "cautioned", "confirmed": "verified", "reported": "disclosed", "people": "residents",
    "week": "seven days", "recent": "latest", "statement": "comments", "trust": "confidence",
    "protest": "demonstration", "families": "relatives", "carry": "bear", "weapons": "arms",
    "firearms": "guns", "armed": "gun-carrying", "urgent": "pressing", "rare": "uncommon",
    "significant": "major", "highlighted": "underlined", "growing": "mounting", "strained": "tested",
    "relationship": "ties", "decided": "chosen", "fear": "worry", "judged": "assessed",
    "further": "additionally", "leading": "prompting", "raised": "voiced", "called": "urged",
    "killed": "died", "died": "was killed", "investigation": "probe", "investigating": "probing",
}

# Spelling variants an outlet's sub-editors apply to a wire story.
SPELLING = {
    "organisation": "organization", "recognised": "recognized", "honour": "honor",
    "authorised": "authorized", "criticised": "criticized", "centre": "center", "defence": "defense",
    "behaviour": "behavior", "programme": "program", "favour": "favor",
}

SITE_WORDS = (
    "Daily Evening Morning Northern Southern Western Eastern Capital Harbour Valley County City "
    "Metro Weekly Sunday Chronicle Courier Herald Gazette Echo Post Mirror Observer Standard "
    "Express Lantern Beacon Sentinel Tribune Journal Record Ledger Star Dispatch Bulletin"
).split()

NAV_SECTIONS = (
    "Home News UK World Politics Business Money Sport Football Cricket Opinion Culture Lifestyle "
    "Travel Health Science Tech Video Podcasts Puzzles Weather Local Crime Education Environment"
).split()

SHARE_BARS = (
    ("Share", "Facebook", "Twitter", "WhatsApp", "Email"),
    ("Share this article", "Copy link", "Share on X", "Share on Facebook", "Share via Email"),
    ("Share on Facebook Share on Twitter Share on LinkedIn",),
    ("Facebook", "X", "Reddit", "Flipboard", "Copy link"),
    ("Share or comment on this article:",),
)

AUDIO_PLAYERS = (
    ("Listen to this article", "{m}:{s:02d}", "Audio generated by AI; read our audio policy."),
    ("Listen", "{m} min listen",),
    ("Play audio", "0:00 / {m}:{s:02d}", "1x"),
    ("This audio is auto-generated. Please let us know if you have feedback.",),
)

FOOTER_LINES = (
    "© {year} {site}. All rights reserved.",
    "Terms and Conditions | Privacy Policy | Cookie Settings | Accessibility",
    "About us | Contact us | Advertise with us | Complaints | Careers",
    "{site} is a member of the Independent Press Standards Organisation.",
    "Registered in England and Wales. Registered office: {n} {place} Road.",
    "Follow us on Facebook, Instagram and X",
    "Back to top",
)

PROMO_LINES = (
    "Sign up to our free newsletter to get the top stories in your inbox every morning.",
    "Subscribe now for unlimited access to {site} from just £1 a week.",
    "Download the {site} app for breaking news alerts.",
    "We use cookies to improve your experience. By continuing you agree to our cookie policy.",
    "Got a story? Email newsdesk@{domain} or call our team.",
    "Support independent journalism: become a member today.",
)

INLINE_LINES = ("Advertisement", "ADVERTISEMENT", "Story continues below", "Continue reading", "Sponsored")

RELATED_HEADERS = ("Read more", "READ MORE", "Related", "Most read", "More from {site}", "Trending")
