//! Spanish, informal (tú), neutral between Spain and Latin America.

use super::{ArchetypeText as A, Ctas, Phrasebook, SignOffs};

pub(super) static ES: Phrasebook = Phrasebook {
    archetypes: [
        A {
            titles: [
                "El problema de siempre, resuelto con {product}",
                "{product}: la solución que estabas buscando",
            ],
            hooks: [
                "Hay problemas que no deberían robarte el día. {product} nació para resolverlos, pensado para {audience}. {Key}",
                "¿Te suena? El mismo lío de siempre, todos los días. Se acabó: te presentamos {product}. {Key}",
            ],
            rationale: "Parte de un problema que la audiencia conoce y presenta el producto como la salida.",
            tag: "ProblemaResuelto",
        },
        A {
            titles: [
                "Por qué cada vez más {audience} eligen {product}",
                "Únete a quienes ya eligieron {product}",
            ],
            hooks: [
                "Cada vez más {audience} eligen {product}, y el motivo es sencillo. {Key}",
                "Todo el mundo pregunta qué ha cambiado. La respuesta: {product}. {Key}",
            ],
            rationale: "Se apoya en los pares: confiamos en lo que ya usan personas como nosotros. Respáldalo con datos o reseñas reales.",
            tag: "Comunidad",
        },
        A {
            titles: ["Es el momento de {product}", "¿Por qué esperar? {product} ya está aquí"],
            hooks: [
                "Cada día sin {product} es un día que podría haber sido mejor. {Key} Empieza hoy.",
                "No lo dejes para «algún día». {product} está listo cuando tú lo estés, y eso es ahora. {Key}",
            ],
            rationale: "Da un motivo para actuar ya sin inventar escasez; combínalo con una fecha límite u oferta real si la hay.",
            tag: "EmpiezaHoy",
        },
        A {
            titles: ["Imagina tu día con {product}", "La mejor versión de tu rutina"],
            hooks: [
                "Imagina tu rutina, solo que un poco mejor. Eso es lo que {product} aporta a tu día. {Key}",
                "Cierra los ojos e imagínalo: el día que de verdad quieres. {product} te lleva hasta ahí. {Key}",
            ],
            rationale: "Vende el resultado y la sensación, no las características.",
            tag: "MejorCadaDía",
        },
        A {
            titles: ["{product} frente a lo de siempre", "Lo que hace diferente a {product}"],
            hooks: [
                "Pon {product} al lado de lo que usas hoy y verás la diferencia. {Key}",
                "¿Lo de siempre o {product}? Spoiler: no hay color. {Key}",
            ],
            rationale: "Contrasta el producto con la situación actual; las comparaciones deben ser justas y verificables.",
            tag: "MarcaLaDiferencia",
        },
        A {
            titles: ["Lo que nadie te cuenta de {product}", "El detalle que lo cambia todo"],
            hooks: [
                "Hay algo que solo se nota al probar {product}. {Key}",
                "Vale, tenemos que contarte algo sobre {product}… {Key}",
            ],
            rationale: "Abre una brecha de curiosidad que el texto cierra con un mensaje clave.",
            tag: "SabíasQue",
        },
        A {
            titles: ["Cómo empezar con {product}", "{product} en tres pasos sencillos"],
            hooks: [
                "Empezar es fácil: descubre {product}, pruébalo y hazlo parte de tu rutina. {Key}",
                "Paso 1: descubre {product}. Paso 2: pruébalo. Paso 3: no vuelvas atrás. {Key}",
            ],
            rationale: "Reduce la barrera de entrada mostrando lo fácil que es el primer paso.",
            tag: "PasoAPaso",
        },
        A {
            titles: ["Detrás de {product}", "Hecho con cuidado: la historia de {product}"],
            hooks: [
                "Detrás de {product} hay un equipo obsesionado con los detalles, para que tú no tengas que estarlo. {Key}",
                "¿Quieres ver lo que pasa entre bastidores? Esto es lo que hay detrás de {product}. {Key}",
            ],
            rationale: "Genera confianza mostrando a las personas y el oficio que hay detrás del producto.",
            tag: "EntreBastidores",
        },
        A {
            titles: ["En palabras de quienes lo usan: {product}", "Lo que dicen de {product}"],
            hooks: [
                "Los mejores elogios de {product} vienen de quienes lo usan cada día. {Key}",
                "No te fíes solo de nuestra palabra. Pregunta a quienes ya usan {product}. {Key}",
            ],
            rationale: "Deja hablar a los clientes; usa una cita real y atribuible antes de publicar.",
            tag: "ClientesFelices",
        },
        A {
            titles: ["Valor inteligente: {product}", "Más por tu dinero con {product}"],
            hooks: [
                "Calidad y buen precio pueden ir de la mano. {product} lo demuestra. {Key}",
                "Date un gusto sin remordimientos: {product} merece totalmente la pena. {Key}",
            ],
            rationale: "Enmarca el precio frente al valor que aporta; menciona el precio o la oferta reales si los hay.",
            tag: "MereceLaPena",
        },
    ],
    fallback_key: "{product}, pensado para {audience}.",
    goal: "Objetivo: {goal}",
    ctas: Ctas {
        learn: ["Descubre más", "Más información"],
        shop: ["Compra ahora", "Consíguelo hoy"],
        signup: ["Regístrate hoy", "Únete ahora"],
        download: ["Descarga ahora", "Instala la app"],
        book: ["Reserva ahora", "Haz tu reserva"],
        preorder: ["Resérvalo ahora", "Haz tu reserva"],
    },
    link_in_bio: "enlace en la bio",
    made_for: "Pensado para {audience}.",
    linkedin_intro: [
        "Para {audience}, los detalles importan. Esto es lo que aporta {product}:",
        "Lo que {product} cambia para {audience}:",
    ],
    linkedin_close: [
        "Si esto encaja con tu equipo, hablemos.",
        "¿Qué cambiaría esto para ti? Cuéntanoslo en los comentarios.",
    ],
    tiktok_pov: "POV: acabas de descubrir {product}",
    sign_offs: SignOffs {
        neutral: ["Guarda este post para luego.", "Etiqueta a alguien que lo necesita."],
        playful: ["Tu yo del futuro te lo agradecerá.", "Venga, sabes que quieres."],
        warm: ["Hecho con cariño, para ti.", "Nos encantará saber qué te parece."],
        bold: ["Cuando tú digas.", "Esta es tu señal."],
    },
    urgency: ["No esperes más: empieza hoy.", "Hoy es un gran día para empezar."],
    disclosure: "#publicidad",
    colon: ": ",
    stopwords: &[
        "ahora", "algo", "antes", "cada", "como", "cómo", "con", "cuando", "desde", "donde", "durante", "ellos",
        "entre", "esta", "estas", "este", "estos", "hace", "hacen", "hasta", "menos", "mientras", "mucho", "muy",
        "nuestro", "nuestra", "otro", "otra", "para", "pero", "porque", "puede", "quien", "quienes", "siempre",
        "sobre", "solo", "también", "tiene", "tienen", "toda", "todas", "todo", "todos", "tras", "tu", "tus", "usted",
        "ustedes",
    ],
    tags: &[
        "Novedad",
        "PruébaloHoy",
        "BuenaElección",
        "DescubreMás",
        "HechoParaTi",
        "DíaADía",
        "Recomendado",
        "Imprescindible",
    ],
};
