"""German names and texts for synthetic data: towns from place-name parts, ideas and projects from templates of
smart-city topics. Every function draws from the ``random.Random`` it is given, so a seed gives the same words."""

import random

# --- Towns ----------------------------------------------------------------------------------------------------

_STEMS = (
    "Arns",
    "Brak",
    "Lüden",
    "Alten",
    "Hallen",
    "Winter",
    "Hilchen",
    "Atten",
    "Kirch",
    "Schmallen",
    "Meschede",
    "Oelin",
    "Wicke",
    "Hemer",
    "Balve",
    "Sundern",
    "Werd",
    "Plett",
    "Neuen",
    "Finnen",
    "Lenne",
    "Olpe",
    "Wenden",
    "Eslo",
    "Herscheid",
    "Meinerz",
    "Kierspe",
    "Halver",
    "Breck",
    "Rade",
    "Lindlar",
    "Eckers",
    "Reichs",
    "Buch",
    "Linden",
    "Birken",
    "Eichen",
    "Tannen",
    "Hohen",
    "Rosen",
    "Sonnen",
    "Falken",
    "Wolfs",
    "Hirsch",
    "Stein",
    "Mühl",
    "Wald",
    "Holz",
    "Wester",
    "Oster",
    "Norden",
    "Sunder",
    "Marien",
    "Frieden",
    "Ebers",
    "Gerns",
    "Hatz",
    "Brilon",
    "Medeba",
    "Mars",
    "Rüthen",
    "Warstein",
    "Anröch",
    "Ense",
    "Wickede",
    "Frönden",
    "Menden",
)
_SUFFIXES = (
    "berg",
    "burg",
    "hausen",
    "feld",
    "dorf",
    "heim",
    "bach",
    "stein",
    "au",
    "rode",
    "scheid",
    "ingen",
    "stedt",
    "hagen",
    "born",
    "beck",
    "winkel",
    "brück",
    "kirchen",
    "thal",
    "wald",
    "horst",
    "werth",
)
_WHOLE = {
    "Meschede",
    "Hemer",
    "Balve",
    "Sundern",
    "Olpe",
    "Wenden",
    "Herscheid",
    "Kierspe",
    "Halver",
    "Lindlar",
    "Brilon",
    "Rüthen",
    "Warstein",
    "Ense",
    "Wickede",
    "Menden",
}
_PREFIXES = ("Bad ", "Neu", "Alt", "Groß", "Klein", "Ober", "Nieder", "Hohen")
_RIVERS = (
    "an der Ruhr",
    "an der Lenne",
    "an der Möhne",
    "an der Sieg",
    "an der Eder",
    "an der Volme",
    "im Sauerland",
    "am Rothaargebirge",
    "an der Bigge",
    "an der Diemel",
    "in Westfalen",
)
_DISTRICTS = (
    "Hochsauerlandkreis",
    "Märkischer Kreis",
    "Kreis Olpe",
    "Kreis Siegen-Wittgenstein",
    "Kreis Soest",
    "Oberbergischer Kreis",
    "Ennepe-Ruhr-Kreis",
)
_DISTRICT_KEYS = {
    "Hochsauerlandkreis": "958",
    "Märkischer Kreis": "962",
    "Kreis Olpe": "966",
    "Kreis Siegen-Wittgenstein": "970",
    "Kreis Soest": "974",
    "Oberbergischer Kreis": "374",
    "Ennepe-Ruhr-Kreis": "954",
}
_REGION_OF = {
    "958": ("Arnsberg", "05"),
    "962": ("Arnsberg", "05"),
    "966": ("Arnsberg", "05"),
    "970": ("Arnsberg", "05"),
    "974": ("Arnsberg", "05"),
    "374": ("Köln", "05"),
    "954": ("Arnsberg", "05"),
}
#: Dark accent colours: each keeps a contrast of at least 4.5:1 with white text.
COLOURS = (
    "#00508C",
    "#1B5E20",
    "#6A1B9A",
    "#8B1E3F",
    "#004D40",
    "#3E2723",
    "#283593",
    "#7A3E00",
    "#37474F",
    "#005A70",
    "#4A148C",
    "#B71C1C",
)


def town_name(rng: random.Random) -> str:
    """A plausible German town name: a stem with a suffix (Lüdenscheid, Birkenfeld), sometimes with a prefix or
    a river (Bad Wolfshagen, Oberhallenberg, Neuenrade an der Lenne)."""
    stem = rng.choice(_STEMS)
    suffixes = [s for s in _SUFFIXES if not stem.lower().endswith(s) and not s.startswith(stem[-1].lower())]
    name = stem if stem in _WHOLE and rng.random() < 0.5 else stem + rng.choice(suffixes)
    name = name[0] + name[1:].lower()
    roll = rng.random()
    if roll < 0.08:
        name = "Bad " + name
    elif roll < 0.16:
        name = rng.choice(_PREFIXES[1:]) + name.lower()
    elif roll < 0.26:
        name = f"{name} {rng.choice(_RIVERS)}"
    return name


def town_district(rng: random.Random) -> tuple[str, str, str]:
    """(district, administrative region, the first five digits of the municipality key)."""
    district = rng.choice(_DISTRICTS)
    key = _DISTRICT_KEYS[district]
    region, land = _REGION_OF[key]
    return district, region, f"{land}{key}"


_QUARTER_STEMS = (
    "Ober",
    "Nieder",
    "Alt",
    "Neu",
    "Holz",
    "Wald",
    "Kirch",
    "Mühlen",
    "Berg",
    "Buchen",
    "Linden",
    "Stein",
    "Heide",
    "Brunnen",
    "Hammer",
    "Hütten",
    "Rosen",
    "Sonnen",
    "Eichen",
    "Hasen",
)
_QUARTER_ENDS = (
    "dorf",
    "hausen",
    "feld",
    "heim",
    "bach",
    "hagen",
    "rode",
    "berg",
    "winkel",
    "siepen",
    "mark",
    "au",
)


def quarters(rng: random.Random, count: int) -> list[str]:
    """Names of a town's districts (Ortsteile), the core town first."""
    names = {"Kernstadt", "Innenstadt"}
    while len(names) < count + 2:
        names.add(rng.choice(_QUARTER_STEMS) + rng.choice(_QUARTER_ENDS))
    core = ["Kernstadt"]
    return core + sorted(names - {"Kernstadt", "Innenstadt"})[: count - 1]


#: (street, how a sentence names a place in it)
STREETS = (
    ("Marktplatz", "am Marktplatz"),
    ("Bahnhofstraße", "in der Bahnhofstraße"),
    ("Hauptstraße", "in der Hauptstraße"),
    ("Kirchplatz", "am Kirchplatz"),
    ("Schulstraße", "an der Schulstraße"),
    ("Am Stadtpark", "am Stadtpark"),
    ("Ringstraße", "an der Ringstraße"),
    ("Mühlenweg", "am Mühlenweg"),
    ("Lindenallee", "in der Lindenallee"),
    ("Gartenstraße", "in der Gartenstraße"),
    ("Rathausplatz", "am Rathausplatz"),
    ("Am Freibad", "am Freibad"),
    ("Bergstraße", "in der Bergstraße"),
    ("Talstraße", "an der Talstraße"),
    ("Brückenstraße", "an der Brückenstraße"),
    ("Am Sportplatz", "am Sportplatz"),
    ("Poststraße", "in der Poststraße"),
    ("Industriestraße", "in der Industriestraße"),
)


# --- People -------------------------------------------------------------------------------------------------

FIRST_NAMES = (
    "Anna",
    "Jonas",
    "Leonie",
    "Lukas",
    "Marie",
    "Felix",
    "Sophie",
    "Paul",
    "Emma",
    "Ben",
    "Mia",
    "Elias",
    "Hannah",
    "Noah",
    "Lena",
    "Finn",
    "Laura",
    "Tim",
    "Julia",
    "Jan",
    "Sarah",
    "Moritz",
    "Katharina",
    "Tobias",
    "Sabine",
    "Thomas",
    "Petra",
    "Michael",
    "Ursula",
    "Klaus",
    "Monika",
    "Andreas",
    "Renate",
    "Stefan",
    "Gabriele",
    "Jürgen",
    "Birgit",
    "Frank",
    "Heike",
    "Uwe",
    "Aylin",
    "Mehmet",
    "Olga",
    "Piotr",
    "Fatma",
    "Dimitri",
    "Elif",
    "Luca",
    "Greta",
    "Karl",
)
LAST_INITIALS = "ABCDEFGHKLMNOPRSTWZ"


def display_name(rng: random.Random, quarter_names: list[str]) -> str:
    name = rng.choice(FIRST_NAMES)
    roll = rng.random()
    if roll < 0.5:
        return f"{name} {rng.choice(LAST_INITIALS)}."
    if roll < 0.75:
        return f"{name}{rng.randint(60, 99)}"
    return f"{name} aus {rng.choice(quarter_names)}"


# --- Ideas --------------------------------------------------------------------------------------------------

#: (field of action slug, title templates, problem sentences, proposal sentences)
TOPICS = (
    (
        "mobilitaet",
        (
            "Sichere Radwegverbindung {place}",
            "Radweg {place} durchgehend ausbauen",
            "Fahrradabstellanlage mit Ladestation {place}",
            "Ampelschaltung für Radfahrende {place}",
        ),
        (
            "Auf dem Weg {place} fahren Radfahrende heute zwischen parkenden Autos und dem Busverkehr.",
            "Der Radweg {place} endet abrupt, Kinder müssen auf die Fahrbahn ausweichen.",
            "Es gibt {place} keine überdachten Abstellplätze für Fahrräder.",
        ),
        (
            "Ein durchgehender, farbig markierter Radweg würde die Strecke deutlich sicherer machen.",
            "Sensoren könnten zählen, wie viele Menschen die Strecke nutzen, damit die Planung auf Daten beruht.",
            "Abschließbare Fahrradboxen mit Steckdose für E-Bikes wären eine große Hilfe.",
        ),
    ),
    (
        "mobilitaet",
        (
            "Parkplatzsensoren {place}",
            "Freie Parkplätze {place} in der App anzeigen",
            "Parkleitsystem für {town}",
            "Digitales Anwohnerparken {place}",
        ),
        (
            "Die Parkplatzsuche {place} sorgt jeden Samstag für Staus und Ärger.",
            "Wer {place} einkaufen will, kreist oft mehrmals um den Block.",
            "Die Parkscheine müssen noch am Automaten mit Münzen bezahlt werden.",
        ),
        (
            "Bodensensoren könnten freie Stellplätze melden und eine Karte im Portal zeigen, wo noch Platz ist.",
            "Ein Parkleitsystem mit Anzeigetafeln an den Einfallstraßen würde den Suchverkehr verringern.",
            "Das Bezahlen per App oder Karte würde vieles einfacher machen.",
        ),
    ),
    (
        "mobilitaet",
        (
            "Bürgerbus mit Rufbus-App {place}",
            "Mitfahrbank {place}",
            "Echtzeit-Abfahrtsanzeige {place}",
            "Carsharing-Station {place}",
        ),
        (
            "Abends und am Wochenende fährt {place} kaum noch ein Bus.",
            "Ältere Menschen {place} kommen ohne Auto nicht zum Arzt oder zum Einkaufen.",
            "An der Haltestelle {place} weiß niemand, ob der Bus Verspätung hat.",
        ),
        (
            "Ein Rufbus, der per App oder Telefon bestellt wird, könnte die Lücken im Fahrplan schließen.",
            "Eine digitale Anzeige mit Echtzeitdaten an der Haltestelle wäre eine einfache Verbesserung.",
            "Eine Carsharing-Station mit zwei E-Autos würde vielen den Zweitwagen ersparen.",
        ),
    ),
    (
        "daten-digitale-infrastruktur",
        (
            "Freies WLAN {place}",
            "Öffentliches WLAN im Freibad",
            "WLAN für die Bücherei",
            "Glasfaser für {place}",
        ),
        (
            "{place} gibt es kaum Mobilfunkempfang, und Gäste fragen ständig nach einem Netz.",
            "Schülerinnen und Schüler machen ihre Hausaufgaben {place}, weil es zu Hause kein schnelles Internet gibt.",
            "Das Internet {place} ist so langsam, dass Homeoffice kaum möglich ist.",
        ),
        (
            "Ein kostenloses, offenes WLAN wie in den Nachbarstädten würde den Ort beleben.",
            "Die Stadt könnte gemeinsam mit den Stadtwerken Hotspots an öffentlichen Gebäuden einrichten.",
            "Ein schneller Ausbau mit Glasfaser sollte Vorrang haben.",
        ),
    ),
    (
        "daten-digitale-infrastruktur",
        (
            "Sensoren für Hochwasser {place}",
            "LoRaWAN-Netz für {town}",
            "Offene Daten zu Luftqualität {place}",
            "Digitaler Zwilling {place}",
        ),
        (
            "Bei Starkregen ist der Bach {place} im letzten Jahr über die Ufer getreten.",
            "Niemand weiß genau, wie gut die Luft {place} ist, obwohl dort viele Lkw fahren.",
            "Messdaten der Stadt liegen in verschiedenen Ämtern und sind nicht öffentlich.",
        ),
        (
            "Pegelsensoren mit Funkanbindung könnten frühzeitig warnen, bevor es gefährlich wird.",
            "Ein Netz von Sensoren und ein offenes Datenportal würden allen helfen, auch Schulen und Vereinen.",
            "Die Daten sollten als Open Data unter einer freien Lizenz veröffentlicht werden.",
        ),
    ),
    (
        "verwaltung-beteiligung",
        (
            "Bürgerbüro digital: Termine online buchen",
            "Anträge online stellen",
            "Digitales Fundbüro",
            "Mängelmelder für {town}",
        ),
        (
            "Für einen neuen Personalausweis muss man im Bürgerbüro oft lange warten.",
            "Viele Anträge gibt es nur als PDF zum Ausdrucken, obwohl alles online ginge.",
            "Schlaglöcher und defekte Laternen {place} werden oft erst nach Wochen gemeldet.",
        ),
        (
            "Eine Online-Terminvergabe für alle Ämter würde viel Telefoniererei sparen.",
            "Ein digitaler Antrag mit Online-Bezahlung wäre schneller für alle Beteiligten.",
            "Ein Mängelmelder mit Foto und Standort würde die Meldungen direkt an den Bauhof schicken.",
        ),
    ),
    (
        "klima-energie-umwelt",
        (
            "Smarte Straßenbeleuchtung {place}",
            "Bodenfeuchtesensoren für Stadtbäume {place}",
            "Photovoltaik auf dem Dach der Schule",
            "Intelligente Mülleimer {place}",
        ),
        (
            "Die Straßenlaternen {place} leuchten die ganze Nacht, auch wenn niemand unterwegs ist.",
            "Die jungen Bäume {place} sind im letzten Sommer vertrocknet.",
            "Die Mülleimer {place} quellen am Wochenende über, unter der Woche sind sie halb leer.",
        ),
        (
            "LED-Leuchten mit Bewegungsmeldern würden Strom sparen und trotzdem Sicherheit geben.",
            "Sensoren im Boden könnten melden, wann gegossen werden muss, statt nach festem Plan.",
            "Füllstandssensoren würden die Touren der Müllabfuhr planbar machen.",
        ),
    ),
    (
        "bildung",
        (
            "Tablets für die Grundschule {place}",
            "Digitale Bildungsangebote in der Bücherei",
            "Makerspace für Jugendliche {place}",
            "Medienkurse für Seniorinnen und Senioren",
        ),
        (
            "Die Grundschule {place} hat kaum Geräte, die Kinder teilen sich einen Computerraum.",
            "Viele Ältere trauen sich nicht an Online-Angebote heran.",
            "Jugendliche {place} haben keinen Ort, an dem sie mit Technik experimentieren können.",
        ),
        (
            "Ein Leihpool mit Tablets und eine Schulung für die Lehrkräfte wären ein guter Anfang.",
            "Ehrenamtliche Digitallotsen könnten in der Bücherei feste Sprechstunden anbieten.",
            "Ein offener Makerspace mit 3D-Drucker und Lötstation würde Talente fördern.",
        ),
    ),
    (
        "gesundheit-pflege",
        (
            "Telemedizin-Sprechstunde {place}",
            "Digitale Notfallkarte für {town}",
            "Hausnotruf mit Sensoren {place}",
        ),
        (
            "Der nächste Hausarzt ist {place} über 15 Kilometer entfernt.",
            "Defibrillatoren gibt es, aber niemand weiß, wo sie hängen.",
            "Viele ältere Menschen {place} leben allein.",
        ),
        (
            "Eine Telemedizin-Station in der Apotheke könnte Wege sparen.",
            "Eine Karte mit allen Defibrillatoren im Portal und in der Notfall-App könnte Leben retten.",
            "Ein Hausnotruf, der auch Stürze erkennt, würde Angehörige beruhigen.",
        ),
    ),
    (
        "kultur-freizeit-tourismus",
        (
            "Digitaler Stadtrundgang {place}",
            "Veranstaltungskalender für {town}",
            "QR-Tafeln an Sehenswürdigkeiten {place}",
        ),
        (
            "Gäste finden die Sehenswürdigkeiten {place} kaum, Informationen gibt es nur im Prospekt.",
            "Vereine kündigen ihre Veranstaltungen auf zehn verschiedenen Seiten an.",
            "Die Geschichte der alten Gebäude {place} kennt kaum jemand.",
        ),
        (
            "Ein digitaler Rundgang mit Audio und Bildern wäre auch für Schulklassen interessant.",
            "Ein gemeinsamer Kalender, in den Vereine selbst eintragen, würde allen helfen.",
            "Kleine Tafeln mit QR-Code könnten auf Texte in mehreren Sprachen verweisen.",
        ),
    ),
    (
        "wirtschaft-innovation",
        (
            "Coworking-Space {place}",
            "Digitaler Marktplatz für den Handel in {town}",
            "Leerstandsmelder für die Innenstadt",
        ),
        (
            "Viele Pendlerinnen und Pendler {place} würden gern näher am Wohnort arbeiten.",
            "Die Geschäfte {place} kämpfen gegen den Onlinehandel.",
            "In der Innenstadt stehen immer mehr Ladenlokale leer.",
        ),
        (
            "Ein Coworking-Space im alten Bahnhof würde Wege sparen und den Ort beleben.",
            "Eine gemeinsame Plattform mit Lieferdienst für die örtlichen Geschäfte wäre eine Chance.",
            "Eine Karte der freien Flächen würde Gründerinnen und Gründern den Start erleichtern.",
        ),
    ),
    (
        "soziales-teilhabe",
        (
            "Barrierefreie Wege {place} digital erfassen",
            "Nachbarschafts-App für {place}",
            "Digitale Sprechstunde für Vereine",
        ),
        (
            "Mit Rollator oder Kinderwagen kommt man {place} an vielen Stellen nicht weiter.",
            "Nachbarn {place} würden sich gern gegenseitig helfen, wissen aber nichts voneinander.",
            "Vereine finden kaum noch Ehrenamtliche für ihre Arbeit.",
        ),
        (
            "Eine Karte mit Stufen, Rampen und Aufzügen im Portal wäre für viele eine Hilfe.",
            "Eine einfache App für Nachbarschaftshilfe, betrieben von der Stadt, wäre datenschutzfreundlich.",
            "Eine Plattform für Ehrenamt könnte Angebote und Helfende zusammenbringen.",
        ),
    ),
)
_PLACE_PHRASES = (
    "{street}",
    "{street}",
    "in {quarter}",
    "zwischen {quarter} und {quarter2}",
    "am Bahnhof {quarter}",
    "an der Grundschule {quarter}",
    "im Ortsteil {quarter}",
)
_CLOSINGS = (
    "Ich würde mich freuen, wenn die Stadt das prüft.",
    "Das würde vielen Menschen im Alltag helfen.",
    "Andere Städte machen das schon erfolgreich.",
    "Gern helfe ich bei der Umsetzung mit.",
    "Vielleicht lässt sich das mit den Fördermitteln des Modellprojekts verwirklichen.",
    "",
)


def idea_place(rng: random.Random, quarter_names: list[str]) -> tuple[str, str]:
    """(a phrase for texts, a label for the map)."""
    street, street_phrase = rng.choice(STREETS)
    quarter, quarter2 = rng.sample(quarter_names, 2) if len(quarter_names) > 1 else (quarter_names[0],) * 2
    pattern = rng.choice(_PLACE_PHRASES)
    phrase = pattern.format(street=f"{street_phrase} in {quarter}", quarter=quarter, quarter2=quarter2)
    label = f"{street}, {quarter}" if pattern == "{street}" else quarter
    return phrase, label


def idea_text(rng: random.Random, *, town: str, quarter_names: list[str]) -> tuple[str, str, str, str]:
    """(field of action slug, title, body, place label) of a citizen's idea."""
    field, titles, problems, proposals = rng.choice(TOPICS)
    phrase, label = idea_place(rng, quarter_names)
    title = rng.choice(titles).format(place=phrase, town=town)
    title = title[0].upper() + title[1:]
    k = rng.randrange(len(problems))
    sentences = [
        problems[k].format(place=phrase, town=town),
        proposals[k % len(proposals)].format(place=phrase, town=town),
    ]
    if rng.random() < 0.4:
        sentences.append(proposals[(k + 1) % len(proposals)].format(place=phrase, town=town))
    body = " ".join(sentences)
    body = body[0].upper() + body[1:]
    closing = rng.choice(_CLOSINGS)
    if closing:
        body += "\n\n" + closing
    return field, title[:150], body, label


COMMENTS = (
    "Gute Idee! Das würde ich sofort nutzen.",
    "Unterstütze ich. Gerade für ältere Menschen wäre das eine echte Erleichterung.",
    "Klingt gut, aber wer kümmert sich um die Pflege, wenn das Projekt ausgelaufen ist?",
    "Das fordern wir im Ortsteil schon seit Jahren.",
    "Was würde das denn ungefähr kosten?",
    "In unserer Nachbarstadt gibt es das schon, dort funktioniert es gut.",
    "Bitte auch an den Datenschutz denken.",
    "Ich bin skeptisch, ob das wirklich genutzt wird.",
    "Genau so! Und bitte barrierefrei.",
    "Man könnte das mit dem Vorschlag zum Bürgerbus verbinden.",
    "Wichtig wäre, dass es auch ohne Smartphone geht.",
    "Daumen hoch von der ganzen Familie.",
    "Vielleicht könnte der Heimatverein dabei helfen.",
    "Das Problem kenne ich, jeden Morgen dasselbe.",
    "Lieber erst die Schlaglöcher reparieren, dann digitale Extras.",
)
REPLIES = (
    "Da stimme ich zu.",
    "Das sehe ich anders, aber ein Versuch wäre es wert.",
    "Gute Frage, das würde mich auch interessieren.",
    "Bei uns im Verein haben wir damit gute Erfahrungen gemacht.",
    "Danke für den Hinweis!",
)
OFFICIAL_REPLIES = (
    "Vielen Dank für den Hinweis. Wir nehmen ihn in die Prüfung auf.",
    "Die Fachabteilung schaut sich das an und meldet sich hier.",
    "Danke! Das Thema wird auch im nächsten Bürgerforum besprochen.",
)
ANSWERS = {
    "under_review": (
        "Vielen Dank für Ihre Idee. Die Fachabteilung prüft sie jetzt; wir melden uns mit dem Ergebnis.",
        "Ihre Idee wird derzeit mit dem Bauhof und den Stadtwerken abgestimmt.",
    ),
    "accepted": (
        "Wir setzen Ihre Idee um: Sie wird in die Planung für {year} aufgenommen.",
        "Gute Nachricht: Die Idee passt zur Smart-City-Strategie und wird als Maßnahme vorbereitet.",
    ),
    "implemented": (
        "Die Idee ist umgesetzt. Vielen Dank für Ihren Vorschlag!",
        "Umgesetzt: Seit {year} ist das Angebot in Betrieb.",
    ),
    "rejected": (
        "Vielen Dank für Ihre Idee. Nach Prüfung können wir sie leider nicht umsetzen: Für die Maßnahme "
        "stehen im Haushalt {year} keine Mittel bereit.",
        "Die Fläche gehört nicht der Stadt; wir haben Ihre Anregung an den Kreis weitergegeben.",
        "Die Idee lässt sich aus rechtlichen Gründen nicht umsetzen; wir erklären das gern im Bürgerbüro.",
    ),
    "merged": (
        "Diese Idee ist einer sehr ähnlichen Idee zugeordnet worden; bitte diskutieren Sie dort weiter.",
    ),
}

# --- Processes and projects -------------------------------------------------------------------------------

PROCESS_TITLES = (
    "Ideen für die digitale Innenstadt {town}",
    "Mobil in {town} {year}",
    "Unser smartes {quarter}",
    "Klimafreundliches {town}: Ihre Vorschläge",
    "Bürgerhaushalt {year}: Digitale Projekte",
    "Zukunft {quarter}: Dorfentwicklung digital",
    "Digitale Verwaltung {town}",
    "Freizeit und Tourismus in {town}",
    "Schulen und Bildung digital {year}",
)
PROJECT_TOPICS = (
    (
        "mobilitaet",
        "Smarte Parkraumbewirtschaftung",
        "Sensoren melden freie Stellplätze und speisen ein Parkleitsystem.",
    ),
    ("mobilitaet", "Rufbus On-Demand", "Ein per App bestellbarer Kleinbus ergänzt den Linienverkehr."),
    ("mobilitaet", "Radverkehrszählung", "Zählstellen erfassen den Radverkehr als Grundlage der Planung."),
    (
        "daten-digitale-infrastruktur",
        "LoRaWAN-Funknetz",
        "Ein stadtweites Funknetz verbindet Sensoren der Stadtwerke, des Bauhofs und der Schulen.",
    ),
    (
        "daten-digitale-infrastruktur",
        "Urbane Datenplattform",
        "Daten der Stadt werden gesammelt, ausgewertet und als Open Data veröffentlicht.",
    ),
    (
        "daten-digitale-infrastruktur",
        "Digitaler Zwilling",
        "Ein 3D-Stadtmodell unterstützt Planung und Beteiligung.",
    ),
    ("daten-digitale-infrastruktur", "Öffentliches WLAN", "Hotspots an Plätzen, Schulen und Bürgerhäusern."),
    (
        "verwaltung-beteiligung",
        "Bürgerbüro digital",
        "Termine, Anträge und Bezahlung online, auch per Video.",
    ),
    ("verwaltung-beteiligung", "Beteiligungsplattform", "Bürgerinnen und Bürger bringen Ideen online ein."),
    (
        "klima-energie-umwelt",
        "Hochwasser-Frühwarnsystem",
        "Pegelsensoren an Bächen warnen vor Starkregenfolgen.",
    ),
    ("klima-energie-umwelt", "Smarte Straßenbeleuchtung", "LED-Leuchten mit Sensorik sparen Strom."),
    (
        "klima-energie-umwelt",
        "Baumbewässerung mit Bodensensoren",
        "Sensoren zeigen, wann Stadtbäume Wasser brauchen.",
    ),
    ("bildung", "Digitale Schule", "Geräte, WLAN und Fortbildung für die Schulen der Stadt."),
    (
        "gesundheit-pflege",
        "Telemedizin im ländlichen Raum",
        "Sprechstunden per Video in Apotheken und Bürgerhäusern.",
    ),
    ("kultur-freizeit-tourismus", "Digitaler Stadtrundgang", "Ein Rundgang mit Audio, Bildern und Karten."),
    ("wirtschaft-innovation", "Coworking im Dorf", "Arbeitsplätze auf Zeit in leerstehenden Gebäuden."),
    ("wirtschaft-innovation", "Lokaler Online-Marktplatz", "Der örtliche Handel verkauft gemeinsam online."),
    ("soziales-teilhabe", "Digitallotsen", "Ehrenamtliche helfen beim Umgang mit digitalen Angeboten."),
    (
        "stadtentwicklung-wohnen",
        "Leerstandsmanagement",
        "Ein Kataster der Leerstände hilft bei der Vermittlung.",
    ),
    ("stadtentwicklung-wohnen", "Stadtlabor", "Ein offener Raum zum Erproben digitaler Angebote."),
)
PROJECT_SUFFIXES = ("", " – Pilot", " – Ausbau", " – Phase II", " – Bauabschnitt {n}")
TAGS = (
    "Sensorik",
    "Open Data",
    "LoRaWAN",
    "App",
    "Beteiligung",
    "Klimaschutz",
    "Energie",
    "Mobilität",
    "Ehrenamt",
    "Innenstadt",
    "Ländlicher Raum",
    "Schule",
    "Verwaltung",
    "Tourismus",
    "Gesundheit",
    "WLAN",
    "Datenschutz",
    "Barrierefreiheit",
    "Interkommunal",
    "Open Source",
)
INDICATORS = (
    ("Nutzerinnen und Nutzer pro Monat", "Personen", 0, 2500),
    ("Angeschlossene Sensoren", "Stück", 0, 400),
    ("Online gestellte Anträge", "Anträge", 100, 3000),
    ("Eingesparte Energie", "kWh", 0, 120000),
    ("Zufriedenheit (Umfrage)", "%", 55, 80),
    ("Abgedeckte Fläche", "%", 10, 95),
)
UPDATE_TITLES = (
    "Auftrag vergeben",
    "Erste Ergebnisse",
    "Testphase gestartet",
    "Zwischenstand",
    "Einweihung",
    "Workshop mit der Bürgerschaft",
    "Ausschreibung veröffentlicht",
)
LESSONS = (
    (
        "Früh mit dem Datenschutz sprechen",
        "Die Datenschutzbeauftragte von Anfang an einzubinden, hat uns Monate gespart.",
    ),
    (
        "Sensoren brauchen Pflege",
        "Batterien, Halterungen und Updates kosten Zeit: Planen Sie den Betrieb mit ein.",
    ),
    ("Gemeinsam ausschreiben", "Die gemeinsame Ausschreibung mit den Partnerstädten brachte bessere Preise."),
)
