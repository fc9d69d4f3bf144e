//! French, formal (vous). `{audience}` is expected with its article
//! ("les indépendants"), so it only follows "pour" or starts a clause.

use super::{ArchetypeText as A, Ctas, Phrasebook, SignOffs};

pub(super) static FR: Phrasebook = Phrasebook {
    archetypes: [
        A {
            titles: [
                "Le problème du quotidien, réglé par {product}",
                "{product} : la solution que vous attendiez",
            ],
            hooks: [
                "Certains problèmes ne devraient pas gâcher votre journée. {product} a été conçu pour les régler, pour {audience}. {Key}",
                "Ça vous parle ? Les mêmes tracas, tous les jours. C'est fini : voici {product}. {Key}",
            ],
            rationale: "Part d'un problème que l'audience connaît et présente le produit comme la solution.",
            tag: "ProblèmeRésolu",
        },
        A {
            titles: [
                "Pourquoi {audience} adoptent {product}",
                "Ils ont choisi {product}, et vous ?",
            ],
            hooks: [
                "Vous êtes de plus en plus nombreux à choisir {product}, et la raison est simple. {Key}",
                "Tout le monde se demande ce qui a changé. La réponse : {product}. {Key}",
            ],
            rationale: "S'appuie sur les pairs : on fait confiance à ce qu'utilisent déjà des gens comme nous. Étayez-le avec des chiffres ou des avis réels.",
            tag: "Communauté",
        },
        A {
            titles: [
                "C'est le moment d'essayer {product}",
                "Pourquoi attendre ? {product} est prêt",
            ],
            hooks: [
                "Chaque jour sans {product} est un jour qui aurait pu être meilleur. {Key} Commencez dès aujourd'hui.",
                "Pourquoi remettre à plus tard ? {product} est prêt quand vous l'êtes, c'est-à-dire maintenant. {Key}",
            ],
            rationale: "Donne une raison d'agir maintenant sans inventer de rareté ; associez-la à une vraie date limite ou à une offre réelle s'il y en a une.",
            tag: "CestLeMoment",
        },
        A {
            titles: [
                "Imaginez votre journée avec {product}",
                "La meilleure version de votre quotidien",
            ],
            hooks: [
                "Imaginez votre quotidien, en un peu mieux. C'est ce que {product} apporte, pour {audience}. {Key}",
                "Fermez les yeux et imaginez : la journée dont vous rêvez vraiment. {product} vous y emmène. {Key}",
            ],
            rationale: "Vend le résultat et l'émotion, pas les caractéristiques.",
            tag: "MieuxChaqueJour",
        },
        A {
            titles: [
                "{product} face aux vieilles habitudes",
                "Ce qui rend {product} différent",
            ],
            hooks: [
                "Comparez {product} à ce que vous utilisez aujourd'hui : la différence saute aux yeux. {Key}",
                "Les vieilles habitudes ou {product} ? Spoiler : il n'y a pas photo. {Key}",
            ],
            rationale: "Oppose le produit au statu quo ; les comparaisons doivent rester loyales et vérifiables.",
            tag: "LaDifférence",
        },
        A {
            titles: ["Ce qu'on ne vous dit pas sur {product}", "Le détail qui change tout"],
            hooks: [
                "Il y a une chose que l'on ne remarque qu'en essayant {product}. {Key}",
                "Bon, il faut qu'on vous dise quelque chose sur {product}… {Key}",
            ],
            rationale: "Éveille une curiosité que le texte satisfait avec un message clé.",
            tag: "LeSaviezVous",
        },
        A {
            titles: ["Bien démarrer avec {product}", "{product} en trois étapes simples"],
            hooks: [
                "C'est simple : découvrez {product}, essayez-le et adoptez-le au quotidien. {Key}",
                "Étape 1 : découvrir {product}. Étape 2 : l'essayer. Étape 3 : ne plus jamais revenir en arrière. {Key}",
            ],
            rationale: "Abaisse la barrière d'entrée en montrant combien la première étape est facile.",
            tag: "PasÀPas",
        },
        A {
            titles: [
                "Dans les coulisses de {product}",
                "Fait avec soin : l'histoire de {product}",
            ],
            hooks: [
                "Derrière {product}, il y a une équipe obsédée par les détails, pour que vous n'ayez pas à l'être. {Key}",
                "Envie de passer en coulisses ? Voici ce qui se cache derrière {product}. {Key}",
            ],
            rationale: "Crée la confiance en montrant les personnes et le savoir-faire derrière le produit.",
            tag: "Coulisses",
        },
        A {
            titles: [
                "Ils en parlent mieux que nous : {product}",
                "Ce que nos clients disent de {product}",
            ],
            hooks: [
                "Les plus beaux compliments sur {product} viennent de celles et ceux qui l'utilisent chaque jour. {Key}",
                "Ne nous croyez pas sur parole. Demandez à celles et ceux qui utilisent déjà {product}. {Key}",
            ],
            rationale: "Laisse parler les clients ; utilisez une citation réelle et attribuable avant publication.",
            tag: "AvisClients",
        },
        A {
            titles: [
                "Le bon choix, au juste prix : {product}",
                "{product}, plus de valeur pour votre argent",
            ],
            hooks: [
                "Qualité et prix juste peuvent aller de pair. {product} le prouve. {Key}",
                "Faites-vous plaisir sans culpabiliser : {product} vaut vraiment le coup. {Key}",
            ],
            rationale: "Met le prix en regard de la valeur apportée ; mentionnez le prix ou l'offre réels s'il y en a.",
            tag: "ChoixMalin",
        },
    ],
    fallback_key: "{product}, pensé pour {audience}.",
    goal: "Objectif : {goal}",
    ctas: Ctas {
        learn: ["En savoir plus", "Découvrir"],
        shop: ["Commandez dès maintenant", "Acheter maintenant"],
        signup: ["Inscrivez-vous", "Rejoignez-nous"],
        download: ["Téléchargez l'app", "Télécharger maintenant"],
        book: ["Réservez maintenant", "Réservez dès aujourd'hui"],
        preorder: ["Précommandez maintenant", "Réservez le vôtre"],
    },
    link_in_bio: "lien en bio",
    made_for: "Pensé pour {audience}.",
    linkedin_intro: [
        "Pour {audience}, chaque détail compte. Voici ce que {product} apporte :",
        "Ce que {product} change pour {audience} :",
    ],
    linkedin_close: [
        "Si cela parle à votre équipe, échangeons.",
        "Qu'est-ce que cela changerait pour vous ? Dites-le-nous en commentaire.",
    ],
    tiktok_pov: "POV : vous venez de découvrir {product}",
    sign_offs: SignOffs {
        neutral: [
            "Enregistrez ce post pour plus tard.",
            "Identifiez quelqu'un qui en a besoin.",
        ],
        playful: ["Votre futur vous dit merci.", "Allez, on sait que vous en avez envie."],
        warm: [
            "Fait avec soin, pour vous.",
            "Dites-nous ce que vous en pensez, on a hâte.",
        ],
        bold: ["Prêt quand vous l'êtes.", "C'est le signe que vous attendiez."],
    },
    urgency: [
        "N'attendez plus : lancez-vous dès aujourd'hui.",
        "Aujourd'hui est le jour idéal pour commencer.",
    ],
    disclosure: "#publicité",
    colon: " : ",
    stopwords: &[
        "aussi", "autre", "autres", "avant", "avec", "avoir", "celles", "ceux", "cette", "chaque", "chez", "comme",
        "dans", "depuis", "elle", "elles", "entre", "être", "fait", "faire", "leur", "leurs", "mais", "moins", "notre",
        "nous", "pendant", "peut", "plus", "pour", "quand", "sans", "sont", "sous", "toujours", "tous", "tout",
        "toute", "toutes", "très", "votre", "vous",
    ],
    tags: &[
        "Nouveauté",
        "ÀDécouvrir",
        "CoupDeCœur",
        "ÀEssayer",
        "BonPlan",
        "FaitPourVous",
        "AuQuotidien",
        "Incontournable",
    ],
};
