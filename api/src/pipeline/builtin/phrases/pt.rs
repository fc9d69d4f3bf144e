//! Portuguese with "você" (Brazilian wording that also reads well in Portugal).

use super::{ArchetypeText as A, Ctas, Phrasebook, SignOffs};

pub(super) static PT: Phrasebook = Phrasebook {
    archetypes: [
        A {
            titles: [
                "O problema de todo dia, resolvido com {product}",
                "{product}: a solução que você procurava",
            ],
            hooks: [
                "Alguns problemas não deveriam roubar o seu dia. {product} foi criado para resolvê-los, pensado para {audience}. {Key}",
                "Parece familiar? A mesma dor de cabeça, todo santo dia. Chega: conheça {product}. {Key}",
            ],
            rationale: "Parte de um problema que o público conhece e apresenta o produto como a saída.",
            tag: "ProblemaResolvido",
        },
        A {
            titles: [
                "Por que cada vez mais {audience} escolhem {product}",
                "Junte-se a quem já escolheu {product}",
            ],
            hooks: [
                "Cada vez mais {audience} escolhem {product}, e o motivo é simples. {Key}",
                "Todo mundo quer saber o que mudou. A resposta: {product}. {Key}",
            ],
            rationale: "Apoia-se nos pares: confiamos no que pessoas como nós já usam. Sustente com números ou avaliações reais.",
            tag: "Comunidade",
        },
        A {
            titles: ["Chegou a hora de {product}", "Por que esperar? {product} está pronto"],
            hooks: [
                "Cada dia sem {product} é um dia que poderia ter sido melhor. {Key} Comece hoje.",
                "Não deixe para \"um dia\". {product} está pronto quando você estiver, e isso é agora. {Key}",
            ],
            rationale: "Dá um motivo para agir agora sem inventar escassez; combine com um prazo ou uma oferta real, se houver.",
            tag: "ComeceHoje",
        },
        A {
            titles: ["Imagine o seu dia com {product}", "A melhor versão da sua rotina"],
            hooks: [
                "Imagine a sua rotina, só que um pouco melhor. É isso que {product} traz para {audience}. {Key}",
                "Feche os olhos e imagine: o dia que você realmente quer. {product} leva você até lá. {Key}",
            ],
            rationale: "Vende o resultado e a sensação, não as funcionalidades.",
            tag: "MelhorACadaDia",
        },
        A {
            titles: ["{product} ou o de sempre?", "O que torna {product} diferente"],
            hooks: [
                "Coloque {product} lado a lado com o que você usa hoje e a diferença aparece. {Key}",
                "O de sempre ou {product}? Spoiler: não tem comparação. {Key}",
            ],
            rationale: "Contrasta o produto com o status quo; comparações devem ser justas e verificáveis.",
            tag: "VejaADiferença",
        },
        A {
            titles: ["O que ninguém conta sobre {product}", "O detalhe que muda tudo"],
            hooks: [
                "Há uma coisa que só se percebe ao experimentar {product}. {Key}",
                "Ok, precisamos contar uma coisa sobre {product}… {Key}",
            ],
            rationale: "Abre uma lacuna de curiosidade que o texto fecha com uma mensagem-chave.",
            tag: "VocêSabia",
        },
        A {
            titles: ["Como começar com {product}", "{product} em três passos simples"],
            hooks: [
                "Começar é fácil: descubra {product}, experimente e leve para a sua rotina. {Key}",
                "Passo 1: descubra {product}. Passo 2: experimente. Passo 3: nunca mais volte atrás. {Key}",
            ],
            rationale: "Reduz a barreira de entrada mostrando como o primeiro passo é fácil.",
            tag: "PassoAPasso",
        },
        A {
            titles: [
                "Os bastidores de {product}",
                "Feito com cuidado: a história de {product}",
            ],
            hooks: [
                "Por trás de {product} existe uma equipe obcecada por detalhes, para que você não precise ser. {Key}",
                "Quer espiar os bastidores? Veja o que existe por trás de {product}. {Key}",
            ],
            rationale: "Gera confiança mostrando as pessoas e o cuidado por trás do produto.",
            tag: "Bastidores",
        },
        A {
            titles: ["Nas palavras de quem usa: {product}", "O que dizem sobre {product}"],
            hooks: [
                "Os melhores elogios vêm de quem usa {product} todos os dias. {Key}",
                "Não acredite só na nossa palavra. Pergunte a quem já usa {product}. {Key}",
            ],
            rationale: "Deixa os clientes falarem; use uma citação real e atribuível antes de publicar.",
            tag: "ClientesFelizes",
        },
        A {
            titles: [
                "Escolha inteligente: {product}",
                "Mais valor pelo seu dinheiro com {product}",
            ],
            hooks: [
                "Qualidade e preço justo podem andar juntos. {product} prova isso. {Key}",
                "Permita-se, sem culpa: {product} vale muito a pena. {Key}",
            ],
            rationale: "Coloca o preço frente ao valor entregue; mencione o preço ou a oferta reais, se houver.",
            tag: "ValeAPena",
        },
    ],
    fallback_key: "{product}, pensado para {audience}.",
    goal: "Objetivo: {goal}",
    ctas: Ctas {
        learn: ["Saiba mais", "Descubra mais"],
        shop: ["Compre agora", "Garanta o seu"],
        signup: ["Inscreva-se hoje", "Participe agora"],
        download: ["Baixe agora", "Instale o app"],
        book: ["Reserve agora", "Garanta o seu horário"],
        preorder: ["Garanta o seu na pré-venda", "Reserve o seu agora"],
    },
    link_in_bio: "link na bio",
    made_for: "Feito para {audience}.",
    linkedin_intro: [
        "Para {audience}, cada detalhe conta. Veja o que {product} oferece:",
        "O que {product} muda para {audience}:",
    ],
    linkedin_close: [
        "Se isso faz sentido para a sua equipe, vamos conversar.",
        "O que isso mudaria para você? Conte nos comentários.",
    ],
    tiktok_pov: "POV: você acabou de descobrir {product}",
    sign_offs: SignOffs {
        neutral: ["Salve este post para depois.", "Marque alguém que precisa disso."],
        playful: ["O seu eu do futuro agradece.", "Vai, a gente sabe que você quer."],
        warm: [
            "Feito com carinho, para você.",
            "Queremos muito saber o que você achou.",
        ],
        bold: ["Pronto quando você estiver.", "Este é o seu sinal."],
    },
    urgency: ["Não espere mais: comece hoje.", "Hoje é um ótimo dia para começar."],
    disclosure: "#publicidade",
    colon: ": ",
    stopwords: &[
        "agora", "ainda", "antes", "cada", "como", "com", "depois", "desde", "durante", "entre", "essa", "esse",
        "esta", "estas", "este", "estes", "fazem", "isso", "mais", "menos", "muito", "muita", "nossa", "nosso", "onde",
        "para", "pela", "pelas", "pelo", "pelos", "porque", "quando", "quem", "sempre", "seus", "sobre", "suas",
        "também", "todas", "todo", "todos", "você", "vocês", "fazer",
    ],
    tags: &[
        "Novidade",
        "Descubra",
        "ExperimenteJá",
        "EscolhaCerta",
        "FeitoParaVocê",
        "DiaADia",
        "Recomendo",
        "Imperdível",
    ],
};
