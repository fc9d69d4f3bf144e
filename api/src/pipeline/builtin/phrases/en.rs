//! English.

use super::{ArchetypeText as A, Ctas, Phrasebook, SignOffs};

pub(super) static EN: Phrasebook = Phrasebook {
    archetypes: [
        A {
            titles: [
                "The everyday problem {product} solves",
                "{product}: the fix you've been looking for",
            ],
            hooks: [
                "Some problems shouldn't take up your day. {product} was made to solve them for {audience}. {Key}",
                "Sound familiar? The same old hassle, every single day. Not anymore: meet {product}. {Key}",
            ],
            rationale: "Starts from a pain point the audience knows and positions the product as the way out.",
            tag: "ProblemSolved",
        },
        A {
            titles: [
                "Why {audience} are switching to {product}",
                "Join the people who chose {product}",
            ],
            hooks: [
                "More and more {audience} are choosing {product}, and the reason is simple. {Key}",
                "Everyone's asking what changed. The answer: {product}. {Key}",
            ],
            rationale: "Leans on peers: people trust what others like them already use. Back it with real numbers or reviews.",
            tag: "CommunityFavorite",
        },
        A {
            titles: ["Now is the time for {product}", "Why wait? {product} is ready today"],
            hooks: [
                "Every day without {product} is a day that could have been better. {Key} Start today.",
                "Don't wait for \"someday\". {product} is ready when you are, and that's right now. {Key}",
            ],
            rationale: "Gives a reason to act now without inventing scarcity; pair it with a real deadline or offer if there is one.",
            tag: "StartToday",
        },
        A {
            titles: ["Picture your day with {product}", "The better version of your routine"],
            hooks: [
                "Imagine your routine, just a little better. That's what {product} brings to {audience}. {Key}",
                "Close your eyes and picture it: the day you actually want. {product} gets you there. {Key}",
            ],
            rationale: "Sells the outcome and the feeling, not the features.",
            tag: "BetterEveryDay",
        },
        A {
            titles: ["{product} vs. the usual way", "What sets {product} apart"],
            hooks: [
                "Put {product} next to what you use today and the difference shows. {Key}",
                "The old way or {product}? Spoiler: it's not even close. {Key}",
            ],
            rationale: "Contrasts the product with the status quo; keep every comparison fair and verifiable.",
            tag: "SpotTheDifference",
        },
        A {
            titles: [
                "What nobody tells you about {product}",
                "The detail that changes everything",
            ],
            hooks: [
                "There's one thing people only notice once they try {product}. {Key}",
                "Okay, we have to tell you something about {product}… {Key}",
            ],
            rationale: "Opens a curiosity gap that the copy closes with a key message.",
            tag: "DidYouKnow",
        },
        A {
            titles: ["How to get started with {product}", "{product} in three easy steps"],
            hooks: [
                "Getting started is simple: discover {product}, try it and make it part of your routine. {Key}",
                "Step 1: discover {product}. Step 2: try it. Step 3: never look back. {Key}",
            ],
            rationale: "Lowers the barrier to entry by showing how easy the first step is.",
            tag: "HowTo",
        },
        A {
            titles: [
                "Behind the scenes of {product}",
                "Made with care: the story of {product}",
            ],
            hooks: [
                "Behind {product} is a team that sweats the details, so you don't have to. {Key}",
                "Want a peek behind the curtain? Here's what goes into {product}. {Key}",
            ],
            rationale: "Builds trust by showing the people and the craft behind the product.",
            tag: "BehindTheScenes",
        },
        A {
            titles: ["In their own words: {product}", "What customers say about {product}"],
            hooks: [
                "The best praise for {product} comes from the people who use it every day. {Key}",
                "Don't just take our word for it. Ask the people who already use {product}. {Key}",
            ],
            rationale: "Lets customers do the talking; use a real, attributable quote before publishing.",
            tag: "CustomerLove",
        },
        A {
            titles: ["Smart value: {product}", "More for your money with {product}"],
            hooks: [
                "Quality and a fair price can go together. {product} proves it. {Key}",
                "Treat yourself, guilt-free: {product} is worth every penny. {Key}",
            ],
            rationale: "Frames the price against the value delivered; mention the real price or offer if there is one.",
            tag: "WorthIt",
        },
    ],
    fallback_key: "{product}, made for {audience}.",
    goal: "Goal: {goal}",
    ctas: Ctas {
        learn: ["Learn more", "Find out more"],
        shop: ["Shop now", "Get yours today"],
        signup: ["Sign up today", "Join now"],
        download: ["Download now", "Get the app"],
        book: ["Book now", "Reserve your spot"],
        preorder: ["Pre-order now", "Reserve yours today"],
    },
    link_in_bio: "link in bio",
    made_for: "Made for {audience}.",
    linkedin_intro: [
        "For {audience}, the details matter. Here is what {product} brings:",
        "What {product} changes for {audience}:",
    ],
    linkedin_close: [
        "If this sounds relevant to your team, let's talk.",
        "What would this change for you? Tell us in the comments.",
    ],
    tiktok_pov: "POV: you just discovered {product}",
    sign_offs: SignOffs {
        neutral: ["Save this post for later.", "Tag someone who needs this."],
        playful: ["Your future self says thanks.", "Go on, you know you want to."],
        warm: ["Made with care, for you.", "We can't wait to hear what you think."],
        bold: ["Ready when you are.", "This is your sign."],
    },
    urgency: ["Don't wait: start today.", "Today is a great day to start."],
    disclosure: "#ad",
    colon: ": ",
    stopwords: &[
        "about", "after", "also", "been", "before", "because", "being", "could", "each", "every", "from", "have",
        "here", "into", "just", "less", "like", "make", "made", "more", "most", "much", "only", "other", "over",
        "people", "should", "some", "such", "take", "takes", "than", "that", "their", "them", "then", "there", "these",
        "they", "this", "those", "under", "very", "want", "what", "when", "where", "which", "while", "will", "with",
        "within", "without", "would", "your", "yours",
    ],
    tags: &[
        "NewArrival",
        "TryItToday",
        "EverydayUpgrade",
        "SmartChoice",
        "MadeForYou",
        "DiscoverMore",
        "LevelUp",
        "GoodFinds",
    ],
};
