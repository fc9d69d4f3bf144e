//! German, formal (Sie).

use super::{ArchetypeText as A, Ctas, Phrasebook, SignOffs};

pub(super) static DE: Phrasebook = Phrasebook {
    archetypes: [
        A {
            titles: [
                "Das Alltagsproblem, das {product} löst",
                "{product}: die Lösung, auf die Sie gewartet haben",
            ],
            hooks: [
                "Manche Probleme sollten Ihnen nicht den Tag verderben. {product} wurde entwickelt, um sie zu lösen – für {audience}. {Key}",
                "Kommt Ihnen das bekannt vor? Jeden Tag derselbe Ärger. Damit ist jetzt Schluss: Das ist {product}. {Key}",
            ],
            rationale: "Setzt bei einem bekannten Problem der Zielgruppe an und zeigt das Produkt als Ausweg.",
            tag: "ProblemGelöst",
        },
        A {
            titles: [
                "Warum immer mehr {audience} auf {product} setzen",
                "Machen Sie es wie viele andere: {product}",
            ],
            hooks: [
                "Immer mehr {audience} entscheiden sich für {product} – aus einem einfachen Grund. {Key}",
                "Alle fragen, was sich verändert hat. Die Antwort: {product}. {Key}",
            ],
            rationale: "Setzt auf soziale Bestätigung: Wir vertrauen dem, was Menschen wie wir schon nutzen. Mit echten Zahlen oder Bewertungen belegen.",
            tag: "Community",
        },
        A {
            titles: ["Jetzt ist die Zeit für {product}", "Warum warten? {product} ist bereit"],
            hooks: [
                "Jeder Tag ohne {product} ist ein Tag, der besser hätte sein können. {Key} Starten Sie noch heute.",
                "Schieben Sie es nicht auf „irgendwann“. {product} ist bereit, wenn Sie es sind – und zwar jetzt. {Key}",
            ],
            rationale: "Gibt einen Grund, jetzt zu handeln, ohne künstliche Knappheit; mit einer echten Frist oder einem echten Angebot kombinieren, falls vorhanden.",
            tag: "JetztStarten",
        },
        A {
            titles: [
                "Stellen Sie sich Ihren Tag mit {product} vor",
                "Die beste Version Ihres Alltags",
            ],
            hooks: [
                "Stellen Sie sich Ihren Alltag vor, nur ein bisschen besser. Genau das bringt {product} für {audience}. {Key}",
                "Augen zu und vorstellen: der Tag, den Sie sich wirklich wünschen. {product} bringt Sie dorthin. {Key}",
            ],
            rationale: "Verkauft das Ergebnis und das Gefühl, nicht die Funktionen.",
            tag: "JedenTagBesser",
        },
        A {
            titles: ["{product} im Vergleich zum Gewohnten", "Was {product} anders macht"],
            hooks: [
                "Stellen Sie {product} neben das, was Sie heute nutzen – der Unterschied ist sofort sichtbar. {Key}",
                "Alter Trott oder {product}? Spoiler: Die Entscheidung fällt leicht. {Key}",
            ],
            rationale: "Stellt das Produkt dem Status quo gegenüber; Vergleiche müssen fair und überprüfbar sein.",
            tag: "DerUnterschied",
        },
        A {
            titles: [
                "Was Ihnen niemand über {product} erzählt",
                "Das Detail, das alles verändert",
            ],
            hooks: [
                "Es gibt eine Sache, die man erst bemerkt, wenn man {product} ausprobiert. {Key}",
                "Okay, wir müssen Ihnen etwas über {product} verraten … {Key}",
            ],
            rationale: "Weckt Neugier, die der Text mit einer Kernbotschaft auflöst.",
            tag: "WusstenSieSchon",
        },
        A {
            titles: ["So starten Sie mit {product}", "{product} in drei einfachen Schritten"],
            hooks: [
                "Der Einstieg ist einfach: {product} entdecken, ausprobieren und in den Alltag holen. {Key}",
                "Schritt 1: {product} entdecken. Schritt 2: ausprobieren. Schritt 3: nie wieder zurück. {Key}",
            ],
            rationale: "Senkt die Einstiegshürde, indem es zeigt, wie leicht der erste Schritt ist.",
            tag: "SoGehts",
        },
        A {
            titles: [
                "Ein Blick hinter die Kulissen von {product}",
                "Mit Sorgfalt gemacht: die Geschichte von {product}",
            ],
            hooks: [
                "Hinter {product} steht ein Team, das jedes Detail ernst nimmt – damit Sie es nicht müssen. {Key}",
                "Lust auf einen Blick hinter die Kulissen? Das steckt in {product}. {Key}",
            ],
            rationale: "Schafft Vertrauen, indem es die Menschen und das Handwerk hinter dem Produkt zeigt.",
            tag: "HinterDenKulissen",
        },
        A {
            titles: [
                "In ihren eigenen Worten: {product}",
                "Was Kundinnen und Kunden über {product} sagen",
            ],
            hooks: [
                "Das schönste Lob für {product} kommt von denen, die es jeden Tag nutzen. {Key}",
                "Verlassen Sie sich nicht nur auf unser Wort. Fragen Sie die, die {product} schon nutzen. {Key}",
            ],
            rationale: "Lässt Kundinnen und Kunden sprechen; vor der Veröffentlichung ein echtes, zuordenbares Zitat verwenden.",
            tag: "Kundenstimmen",
        },
        A {
            titles: ["Clever investiert: {product}", "Mehr für Ihr Geld mit {product}"],
            hooks: [
                "Qualität und ein fairer Preis schließen sich nicht aus. {product} beweist es. {Key}",
                "Gönnen Sie sich etwas, ganz ohne schlechtes Gewissen: {product} ist jeden Cent wert. {Key}",
            ],
            rationale: "Stellt den Preis dem gebotenen Nutzen gegenüber; den echten Preis oder das echte Angebot nennen, falls vorhanden.",
            tag: "PreisLeistung",
        },
    ],
    fallback_key: "{product} – gemacht für {audience}.",
    goal: "Ziel: {goal}",
    ctas: Ctas {
        learn: ["Mehr erfahren", "Jetzt entdecken"],
        shop: ["Jetzt bestellen", "Jetzt kaufen"],
        signup: ["Jetzt anmelden", "Jetzt registrieren"],
        download: ["Jetzt herunterladen", "App laden"],
        book: ["Jetzt buchen", "Jetzt Termin sichern"],
        preorder: ["Jetzt vorbestellen", "Jetzt reservieren"],
    },
    link_in_bio: "Link in der Bio",
    made_for: "Gemacht für {audience}.",
    linkedin_intro: [
        "Für {audience} zählt jedes Detail. Das bringt {product} mit:",
        "Was {product} für {audience} verändert:",
    ],
    linkedin_close: [
        "Wenn das für Ihr Team relevant ist, sprechen wir gern darüber.",
        "Was würde das für Sie ändern? Schreiben Sie es uns in die Kommentare.",
    ],
    tiktok_pov: "POV: Sie haben gerade {product} entdeckt",
    sign_offs: SignOffs {
        neutral: [
            "Speichern Sie diesen Beitrag für später.",
            "Markieren Sie jemanden, der das braucht.",
        ],
        playful: [
            "Ihr zukünftiges Ich sagt Danke.",
            "Na los, Sie wissen doch, dass Sie wollen.",
        ],
        warm: ["Mit Sorgfalt gemacht, für Sie.", "Wir freuen uns auf Ihre Meinung."],
        bold: ["Bereit, wenn Sie es sind.", "Das ist Ihr Zeichen."],
    },
    urgency: [
        "Warten Sie nicht länger: Starten Sie heute.",
        "Heute ist ein guter Tag, um anzufangen.",
    ],
    disclosure: "#Werbung",
    colon: ": ",
    stopwords: &[
        "aber", "alle", "auch", "dass", "denn", "deren", "diese", "diesem", "diesen", "dieser", "dieses", "durch",
        "eine", "einem", "einen", "einer", "eines", "für", "ganz", "haben", "hier", "immer", "ihre", "ihrem", "ihren",
        "ihrer", "jede", "jedem", "jeden", "jeder", "kein", "keine", "mehr", "nach", "nicht", "noch", "ohne", "schon",
        "sehr", "sich", "sind", "über", "unser", "unsere", "unter", "viele", "vielen", "weil", "wenn", "werden",
        "wird", "zwei", "drei",
    ],
    tags: &[
        "Neuheit",
        "Entdecken",
        "JetztTesten",
        "Alltagshelfer",
        "GuteWahl",
        "Empfehlung",
        "Lieblingsstück",
        "Qualität",
    ],
};
