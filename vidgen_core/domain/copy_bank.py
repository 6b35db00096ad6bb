"""The offline planner's ad copy, in each script language: opening hooks and product lines by category, moments,
headlines and closing taglines by style.

Lines never agree with the product's gender or number (Spanish and French adjectives would), so any product reads
well after them: they speak of what it gives ("Frescura y sabor en cada sorbo"), not of what it is. Hooks have at
most 6 words (an opening of 5 s then leaves the music a moment before the next line), product lines at most 8,
moments at most 5 and taglines 3 (a name and its tagline fit the 2.5 s the close of a 5 s ad may speak in);
headlines 2-4 words. tests/core/test_script.py holds every entry to these.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Phrasebook:
    """One language's copy. ``meet`` and ``introducing`` take the name and ``the``: the article the language puts
    before a brand's product when it can, whatever its gender ("Meet the Nike running shoe"; the brand alone takes
    none); ``brand_only``: the language's article would agree with the product ("el café Lavazza"), so its product
    lines introduce the brand alone."""

    meet: str
    introducing: str
    brand_only: bool
    hooks: dict[str, tuple[str, str]]  # by category
    benefits: dict[str, tuple[str, str, str]]  # by category
    headlines: dict[str, tuple[str, str, str]]  # by category, for product beats
    moments: dict[str, tuple[str, str]]  # by style, spoken over a dynamic beat
    moment_headlines: dict[str, tuple[str, str]]  # by style, for dynamic beats
    taglines: dict[str, tuple[str, str]]  # by style, after the name in the closing line
    the: str = ""


ENGLISH = Phrasebook(
    meet="Meet {the}{name}.",
    introducing="Introducing {the}{name}.",
    the="the ",
    brand_only=False,
    hooks={
        "footwear": ("Every great run starts here.", "Ready for the next step?"),
        "apparel": ("Wear what moves you.", "Style starts with how you feel."),
        "beverage": ("Thirsty for something better?", "Take a moment. Take a sip."),
        "food": ("Good food brings people together.", "Hungry for something real?"),
        "tech": ("What if it just worked?", "Technology, made simple."),
        "automotive": ("The open road is calling.", "Some drives stay with you."),
        "beauty": ("Your skin deserves the best.", "Beauty, in every detail."),
        "fitness": ("Stronger starts today.", "Every rep counts."),
        "travel": ("Somewhere new is waiting.", "Where will you go next?"),
        "finance": ("Your money, working smarter.", "Plan today. Relax tomorrow."),
        "home": ("Home is where you feel it.", "Make every room yours."),
        "general": ("Something new is here.", "Made for the way you live."),
    },
    benefits={
        "footwear": (
            "Light on your feet, made for every mile.",
            "Cushioned comfort, stride after stride.",
            "Grip and bounce where you need them.",
        ),
        "apparel": (
            "Cut to fit, made to last.",
            "Fabrics that feel as good as they look.",
            "Effortless style from morning to night.",
        ),
        "beverage": (
            "Crisp, refreshing, and full of flavour.",
            "Poured cold, made to share.",
            "Every sip tastes like summer.",
        ),
        "food": (
            "Fresh ingredients, made with care.",
            "Real flavour in every bite.",
            "Simple, honest, and ready to share.",
        ),
        "tech": (
            "Powerful inside, beautifully simple outside.",
            "Fast, smart, and ready when you are.",
            "Designed to do more with less.",
        ),
        "automotive": (
            "Precision engineering you can feel.",
            "Power and control on every curve.",
            "Comfort that goes the distance.",
        ),
        "beauty": (
            "A gentle formula with visible results.",
            "Made to make you glow.",
            "Light on your skin, rich in care.",
        ),
        "fitness": (
            "Built to push you further.",
            "Train harder, recover faster.",
            "Made for every workout, every day.",
        ),
        "travel": (
            "Clear water, warm sun, no rush.",
            "Every journey, planned with care.",
            "Moments you will remember forever.",
        ),
        "finance": (
            "Clear numbers, no surprises.",
            "Smart tools that grow with you.",
            "Secure, simple, and always on your side.",
        ),
        "home": (
            "Comfort you can come home to.",
            "Thoughtful design for everyday living.",
            "Warm, simple, and made to last.",
        ),
        "general": (
            "Thoughtfully made, built to last.",
            "Quality you can see and feel.",
            "Designed around you.",
        ),
    },
    headlines={
        "footwear": ("Made for every mile", "Cushioned comfort", "Grip meets bounce"),
        "apparel": ("Cut to fit", "Feels just right", "Style all day"),
        "beverage": ("Crisp and refreshing", "Made to share", "Taste of summer"),
        "food": ("Fresh ingredients", "Flavour in every bite", "Made with care"),
        "tech": ("Power made simple", "Fast and smart", "Do more with less"),
        "automotive": ("Precision engineering", "Power and control", "Built for distance"),
        "beauty": ("Visible results", "Made to glow", "Gentle care"),
        "fitness": ("Push further", "Train harder", "Every workout counts"),
        "travel": ("No rush", "Planned with care", "Unforgettable moments"),
        "finance": ("No surprises", "Grows with you", "Secure and simple"),
        "home": ("Comfort at home", "Thoughtful design", "Made to last"),
        "general": ("Thoughtfully made", "Quality you feel", "Designed around you"),
    },
    moments={
        "cinematic": ("This is the moment.", "Feel every second."),
        "minimalist": ("Less noise. More you.", "Simply better."),
        "energetic": ("Feel the rush.", "Keep moving."),
        "luxury": ("Pure elegance.", "Refined in every way."),
        "playful": ("Go on, have some fun.", "Smile. You earned it."),
        "retro": ("Classic never gets old.", "A classic, reborn."),
        "futuristic": ("The future is here.", "Tomorrow, today."),
        "warm": ("Made for moments like this.", "Share the warmth."),
    },
    moment_headlines={
        "cinematic": ("This is it", "Every second counts"),
        "minimalist": ("Less is more", "Simply better"),
        "energetic": ("Feel the rush", "Keep moving"),
        "luxury": ("Pure elegance", "Refined luxury"),
        "playful": ("Have some fun", "Brighten your day"),
        "retro": ("Classic style", "Never gets old"),
        "futuristic": ("The future, now", "Tomorrow, today"),
        "warm": ("Share the warmth", "Moments together"),
    },
    taglines={
        "cinematic": ("Made for moments.", "Live the story."),
        "minimalist": ("Pure and simple.", "Nothing more."),
        "energetic": ("Go further.", "Never stop."),
        "luxury": ("Elegance, defined.", "Timeless luxury."),
        "playful": ("Pure fun.", "Smiles guaranteed."),
        "retro": ("Simply timeless.", "Old school, reborn."),
        "futuristic": ("Always ahead.", "Built for tomorrow."),
        "warm": ("Made with love.", "Feels like home."),
    },
)

SPANISH = Phrasebook(
    meet="Descubre {the}{name}.",
    introducing="Presentamos {the}{name}.",
    brand_only=True,
    hooks={
        "footwear": ("Cada gran carrera empieza aquí.", "¿Listo para el siguiente paso?"),
        "apparel": ("Viste lo que te mueve.", "El estilo empieza por ti."),
        "beverage": ("¿Con sed de algo mejor?", "Tómate un momento. Y un sorbo."),
        "food": ("La buena comida nos une.", "¿Hambre de algo de verdad?"),
        "tech": ("¿Y si todo simplemente funcionara?", "Tecnología, hecha simple."),
        "automotive": ("La carretera te llama.", "Hay viajes que no se olvidan."),
        "beauty": ("Tu piel merece lo mejor.", "Belleza en cada detalle."),
        "fitness": ("Ser más fuerte empieza hoy.", "Cada repetición cuenta."),
        "travel": ("Un lugar nuevo te espera.", "¿Adónde irás ahora?"),
        "finance": ("Tu dinero, trabajando mejor.", "Planea hoy. Relájate mañana."),
        "home": ("Tu hogar, como lo sientes.", "Haz tuyo cada rincón."),
        "general": ("Llega algo nuevo.", "Para tu forma de vivir."),
    },
    benefits={
        "footwear": (
            "Comodidad y ligereza en cada kilómetro.",
            "Amortiguación que te acompaña paso a paso.",
            "Agarre e impulso donde los necesitas.",
        ),
        "apparel": (
            "Un corte perfecto, pensado para durar.",
            "Tejidos que se sienten tan bien como lucen.",
            "Estilo sin esfuerzo, de día y de noche.",
        ),
        "beverage": (
            "Frescura y sabor en cada sorbo.",
            "Para compartir con los tuyos.",
            "Cada sorbo sabe a verano.",
        ),
        "food": (
            "Ingredientes frescos, preparados con cariño.",
            "Sabor de verdad en cada bocado.",
            "Recetas sencillas para compartir.",
        ),
        "tech": (
            "Potencia por dentro, sencillez por fuera.",
            "Rapidez e inteligencia cuando las necesitas.",
            "Un diseño que hace más con menos.",
        ),
        "automotive": (
            "Ingeniería de precisión que se siente.",
            "Potencia y control en cada curva.",
            "Confort para los viajes largos.",
        ),
        "beauty": (
            "Una fórmula suave con resultados visibles.",
            "Para que tu piel brille.",
            "Ligereza en tu piel, cuidado profundo.",
        ),
        "fitness": (
            "Para llevarte más lejos.",
            "Entrena más fuerte, recupérate antes.",
            "Para cada entrenamiento, cada día.",
        ),
        "travel": (
            "Agua clara, sol y calma.",
            "Cada viaje, planeado con cuidado.",
            "Momentos que recordarás siempre.",
        ),
        "finance": (
            "Cuentas claras, sin sorpresas.",
            "Herramientas que crecen contigo.",
            "Seguridad y sencillez, siempre de tu lado.",
        ),
        "home": (
            "El confort de volver a casa.",
            "Diseño pensado para el día a día.",
            "Calidez y sencillez que duran.",
        ),
        "general": (
            "Calidad que se ve y se siente.",
            "Detalles pensados para ti.",
            "Cuidado en cada detalle.",
        ),
    },
    headlines={
        "footwear": ("Para cada kilómetro", "Comodidad total", "Agarre e impulso"),
        "apparel": ("Corte perfecto", "Se siente bien", "Estilo todo el día"),
        "beverage": ("Frescura y sabor", "Para compartir", "Sabor a verano"),
        "food": ("Ingredientes frescos", "Sabor de verdad", "Hecho con cariño"),
        "tech": ("Potencia sencilla", "Rapidez e inteligencia", "Más con menos"),
        "automotive": ("Ingeniería de precisión", "Potencia y control", "Confort sin límites"),
        "beauty": ("Resultados visibles", "Piel radiante", "Cuidado suave"),
        "fitness": ("Llega más lejos", "Entrena más fuerte", "Cada entrenamiento cuenta"),
        "travel": ("Sin prisas", "Viajes a tu medida", "Momentos inolvidables"),
        "finance": ("Sin sorpresas", "Crece contigo", "Seguridad y sencillez"),
        "home": ("Confort en casa", "Diseño pensado", "Calidez que dura"),
        "general": ("Calidad visible", "Detalles para ti", "Cuidado al detalle"),
    },
    moments={
        "cinematic": ("Este es el momento.", "Siente cada segundo."),
        "minimalist": ("Menos ruido. Más tú.", "Simplemente mejor."),
        "energetic": ("Siente la adrenalina.", "No pares."),
        "luxury": ("Pura elegancia.", "Elegancia en cada detalle."),
        "playful": ("Vamos, diviértete.", "Sonríe, te lo mereces."),
        "retro": ("Lo clásico nunca pasa.", "Un clásico que vuelve."),
        "futuristic": ("El futuro ya está aquí.", "Mañana, hoy."),
        "warm": ("Para momentos como este.", "Comparte el cariño."),
    },
    moment_headlines={
        "cinematic": ("Este es el momento", "Cada segundo cuenta"),
        "minimalist": ("Menos es más", "Simplemente mejor"),
        "energetic": ("Siente la adrenalina", "No pares"),
        "luxury": ("Pura elegancia", "Lujo refinado"),
        "playful": ("A divertirse", "Alegra tu día"),
        "retro": ("Estilo clásico", "Nunca pasa de moda"),
        "futuristic": ("El futuro, ahora", "Mañana, hoy"),
        "warm": ("Comparte el cariño", "Momentos juntos"),
    },
    taglines={
        "cinematic": ("Vive el momento.", "Tu historia empieza."),
        "minimalist": ("Lo esencial, mejor.", "Nada sobra."),
        "energetic": ("Ve más lejos.", "Nunca te detengas."),
        "luxury": ("Lujo para siempre.", "Lujo sin esfuerzo."),
        "playful": ("Pura diversión.", "Sonrisas aseguradas."),
        "retro": ("Siempre atemporal.", "Estilo de siempre."),
        "futuristic": ("Siempre por delante.", "Pensado para mañana."),
        "warm": ("Hecho con amor.", "Como en casa."),
    },
)

FRENCH = Phrasebook(
    meet="Découvrez {the}{name}.",
    introducing="Voici {the}{name}.",
    brand_only=True,
    hooks={
        "footwear": ("Chaque grande course commence ici.", "Un pas de plus, chaque jour."),
        "apparel": ("Portez ce qui vous ressemble.", "Le style commence par vous."),
        "beverage": ("Place à la fraîcheur.", "Une pause. Une gorgée."),
        "food": ("La bonne cuisine nous rassemble.", "Le goût du vrai."),
        "tech": ("La technologie, tout simplement.", "Tout devient plus simple."),
        "automotive": ("La route vous appelle.", "Certains trajets restent gravés."),
        "beauty": ("Votre peau mérite le meilleur.", "La beauté dans chaque détail."),
        "fitness": ("Plus fort, dès aujourd'hui.", "Chaque répétition compte."),
        "travel": ("Un nouvel horizon vous attend.", "L'ailleurs commence ici."),
        "finance": ("Votre argent, plus intelligent.", "Préparez demain, dès aujourd'hui."),
        "home": ("Chez soi, tout simplement.", "Chaque pièce vous ressemble."),
        "general": ("Quelque chose de nouveau arrive.", "Pensé pour votre quotidien."),
    },
    benefits={
        "footwear": (
            "Légèreté et confort à chaque kilomètre.",
            "Un amorti qui vous suit, foulée après foulée.",
            "Adhérence et rebond, là où il faut.",
        ),
        "apparel": (
            "Une coupe parfaite, faite pour durer.",
            "Des matières aussi douces qu'élégantes.",
            "Un style naturel, du matin au soir.",
        ),
        "beverage": (
            "Fraîcheur et saveur à chaque gorgée.",
            "À partager entre amis.",
            "Chaque gorgée a le goût de l'été.",
        ),
        "food": (
            "Des ingrédients frais, préparés avec soin.",
            "Du vrai goût à chaque bouchée.",
            "Des recettes simples, à partager.",
        ),
        "tech": (
            "De la puissance, en toute simplicité.",
            "Rapidité et intelligence, quand vous voulez.",
            "Un design qui fait plus avec moins.",
        ),
        "automotive": (
            "Une ingénierie de précision qui se ressent.",
            "Puissance et maîtrise dans chaque virage.",
            "Un confort qui va loin.",
        ),
        "beauty": (
            "Une formule douce aux résultats visibles.",
            "Pour une peau qui rayonne.",
            "Légèreté sur la peau, soin en profondeur.",
        ),
        "fitness": (
            "Pour aller toujours plus loin.",
            "Entraînez-vous plus, récupérez mieux.",
            "Pour chaque séance, chaque jour.",
        ),
        "travel": (
            "Eau claire, soleil et douceur de vivre.",
            "Chaque voyage, préparé avec soin.",
            "Des souvenirs pour toujours.",
        ),
        "finance": (
            "Des comptes clairs, sans surprises.",
            "Des outils qui grandissent avec vous.",
            "Sécurité et simplicité, toujours à vos côtés.",
        ),
        "home": (
            "Le confort de rentrer chez soi.",
            "Un design pensé pour le quotidien.",
            "Chaleur et simplicité qui durent.",
        ),
        "general": (
            "Une qualité qui se voit et se ressent.",
            "Des détails pensés pour vous.",
            "Du soin dans chaque détail.",
        ),
    },
    headlines={
        "footwear": ("Pour chaque kilomètre", "Confort absolu", "Adhérence et rebond"),
        "apparel": ("Coupe parfaite", "Douceur et élégance", "Style au quotidien"),
        "beverage": ("Fraîcheur et saveur", "À partager", "Un goût d'été"),
        "food": ("Ingrédients frais", "Le vrai goût", "Recettes à partager"),
        "tech": ("Puissance et simplicité", "Rapidité et intelligence", "Plus avec moins"),
        "automotive": ("Ingénierie de précision", "Puissance et maîtrise", "Confort sans limite"),
        "beauty": ("Résultats visibles", "Peau éclatante", "Soin en douceur"),
        "fitness": ("Toujours plus loin", "Entraînez-vous mieux", "Chaque séance compte"),
        "travel": ("Douceur de vivre", "Voyage sur mesure", "Souvenirs inoubliables"),
        "finance": ("Sans surprises", "Grandit avec vous", "Sécurité et simplicité"),
        "home": ("Confort chez soi", "Design du quotidien", "Une chaleur durable"),
        "general": ("Qualité visible", "Pensé pour vous", "Soin du détail"),
    },
    moments={
        "cinematic": ("C'est le moment.", "Vivez chaque seconde."),
        "minimalist": ("Moins, mais mieux.", "Simplement mieux."),
        "energetic": ("Sentez l'adrénaline.", "Ne vous arrêtez pas."),
        "luxury": ("L'élégance pure.", "Raffinement dans chaque détail."),
        "playful": ("Allez, amusez-vous.", "Souriez, c'est mérité."),
        "retro": ("Les classiques ne vieillissent pas.", "Un classique qui revient."),
        "futuristic": ("Le futur est là.", "Demain, dès aujourd'hui."),
        "warm": ("Pour des moments comme celui-ci.", "Partagez la chaleur."),
    },
    moment_headlines={
        "cinematic": ("C'est le moment", "Chaque seconde compte"),
        "minimalist": ("Moins mais mieux", "Simplement mieux"),
        "energetic": ("Pure adrénaline", "Toujours en mouvement"),
        "luxury": ("Élégance pure", "Luxe raffiné"),
        "playful": ("Place à la fête", "Illuminez votre journée"),
        "retro": ("Style classique", "Toujours dans le vent"),
        "futuristic": ("Le futur, maintenant", "Demain, aujourd'hui"),
        "warm": ("Partagez la chaleur", "Moments ensemble"),
    },
    taglines={
        "cinematic": ("Votre histoire commence.", "Chaque instant compte."),
        "minimalist": ("L'essentiel, en mieux.", "Rien de trop."),
        "energetic": ("Allez plus loin.", "Toujours en mouvement."),
        "luxury": ("Le luxe, simplement.", "Luxe sans effort."),
        "playful": ("Que du bonheur.", "Sourires garantis."),
        "retro": ("Tout simplement intemporel.", "Le charme d'antan."),
        "futuristic": ("Un temps d'avance.", "Pensé pour demain."),
        "warm": ("Avec amour.", "Comme chez soi."),
    },
)

GERMAN = Phrasebook(
    meet="Entdecke {the}{name}.",
    introducing="Jetzt neu: {the}{name}.",
    brand_only=False,
    hooks={
        "footwear": ("Jeder große Lauf beginnt hier.", "Bereit für den nächsten Schritt?"),
        "apparel": ("Trag, was dich bewegt.", "Stil beginnt bei dir."),
        "beverage": ("Lust auf etwas Frisches?", "Ein Moment. Ein Schluck."),
        "food": ("Gutes Essen bringt uns zusammen.", "Hunger auf etwas Echtes?"),
        "tech": ("Was, wenn es einfach funktioniert?", "Technik, ganz einfach."),
        "automotive": ("Die Straße ruft.", "Manche Fahrten bleiben für immer."),
        "beauty": ("Deine Haut verdient das Beste.", "Schönheit in jedem Detail."),
        "fitness": ("Stärker wirst du ab heute.", "Jede Wiederholung zählt."),
        "travel": ("Ein neuer Ort wartet auf dich.", "Wohin geht deine nächste Reise?"),
        "finance": ("Dein Geld, klüger angelegt.", "Heute planen. Morgen entspannen."),
        "home": ("Zuhause ist, wo du dich wohlfühlst.", "Mach jeden Raum zu deinem."),
        "general": ("Etwas Neues ist da.", "Gemacht für dein Leben."),
    },
    benefits={
        "footwear": (
            "Leicht und bequem, für jeden Kilometer.",
            "Dämpfung, die dich Schritt für Schritt begleitet.",
            "Grip und Energie, genau wo du sie brauchst.",
        ),
        "apparel": (
            "Perfekt geschnitten, gemacht für lange Zeit.",
            "Stoffe, die sich einfach gut anfühlen.",
            "Mühelos stilvoll, von morgens bis abends.",
        ),
        "beverage": (
            "Frisch, spritzig und voller Geschmack.",
            "Eiskalt serviert, zum Teilen gemacht.",
            "Jeder Schluck schmeckt nach Sommer.",
        ),
        "food": (
            "Frische Zutaten, mit Liebe zubereitet.",
            "Echter Geschmack in jedem Bissen.",
            "Einfach, ehrlich und zum Teilen.",
        ),
        "tech": (
            "Innen leistungsstark, außen ganz einfach.",
            "Schnell, smart und immer bereit.",
            "Gemacht, um mit weniger mehr zu schaffen.",
        ),
        "automotive": (
            "Präzise Technik, die du spürst.",
            "Kraft und Kontrolle in jeder Kurve.",
            "Komfort für jede Strecke.",
        ),
        "beauty": (
            "Eine sanfte Formel mit sichtbarer Wirkung.",
            "Für Haut, die strahlt.",
            "Leicht auf der Haut, reich an Pflege.",
        ),
        "fitness": (
            "Gemacht, um dich weiterzubringen.",
            "Härter trainieren, schneller erholen.",
            "Für jedes Training, jeden Tag.",
        ),
        "travel": (
            "Klares Wasser, warme Sonne, keine Eile.",
            "Jede Reise, mit Sorgfalt geplant.",
            "Momente, die du nie vergisst.",
        ),
        "finance": (
            "Klare Zahlen, keine Überraschungen.",
            "Smarte Werkzeuge, die mit dir wachsen.",
            "Sicher, einfach und immer an deiner Seite.",
        ),
        "home": (
            "Komfort, auf den du dich freust.",
            "Durchdachtes Design für jeden Tag.",
            "Warm, schlicht und gemacht für lange.",
        ),
        "general": (
            "Durchdacht gemacht, gebaut für lange.",
            "Qualität, die man sieht und spürt.",
            "Ganz auf dich ausgerichtet.",
        ),
    },
    headlines={
        "footwear": ("Für jeden Kilometer", "Volle Dämpfung", "Grip und Energie"),
        "apparel": ("Perfekt geschnitten", "Fühlt sich gut an", "Stil den ganzen Tag"),
        "beverage": ("Frisch und spritzig", "Zum Teilen", "Geschmack von Sommer"),
        "food": ("Frische Zutaten", "Echter Geschmack", "Mit Liebe gemacht"),
        "tech": ("Einfach leistungsstark", "Schnell und smart", "Mehr mit weniger"),
        "automotive": ("Präzise Technik", "Kraft und Kontrolle", "Komfort für jede Strecke"),
        "beauty": ("Sichtbare Wirkung", "Strahlende Haut", "Sanfte Pflege"),
        "fitness": ("Weiter kommen", "Härter trainieren", "Jedes Training zählt"),
        "travel": ("Keine Eile", "Mit Sorgfalt geplant", "Unvergessliche Momente"),
        "finance": ("Keine Überraschungen", "Wächst mit dir", "Sicher und einfach"),
        "home": ("Komfort zu Hause", "Durchdachtes Design", "Gemacht für lange"),
        "general": ("Durchdacht gemacht", "Spürbare Qualität", "Ganz für dich"),
    },
    moments={
        "cinematic": ("Das ist der Moment.", "Spür jede Sekunde."),
        "minimalist": ("Weniger Lärm. Mehr du.", "Einfach besser."),
        "energetic": ("Spür den Kick.", "Bleib in Bewegung."),
        "luxury": ("Pure Eleganz.", "Raffiniert bis ins Detail."),
        "playful": ("Los, hab Spaß.", "Lächle, du hast es verdient."),
        "retro": ("Ein Klassiker wird nie alt.", "Ein Klassiker, neu geboren."),
        "futuristic": ("Die Zukunft ist da.", "Morgen, schon heute."),
        "warm": ("Für Momente wie diesen.", "Teile die Wärme."),
    },
    moment_headlines={
        "cinematic": ("Das ist der Moment", "Jede Sekunde zählt"),
        "minimalist": ("Weniger ist mehr", "Einfach besser"),
        "energetic": ("Spür den Kick", "Bleib in Bewegung"),
        "luxury": ("Pure Eleganz", "Raffinierter Luxus"),
        "playful": ("Hab Spaß", "Mach den Tag bunt"),
        "retro": ("Klassischer Stil", "Wird nie alt"),
        "futuristic": ("Die Zukunft, jetzt", "Morgen, schon heute"),
        "warm": ("Teile die Wärme", "Momente zusammen"),
    },
    taglines={
        "cinematic": ("Für den Moment.", "Deine Geschichte beginnt."),
        "minimalist": ("Klar und einfach.", "Nichts zu viel."),
        "energetic": ("Geh weiter.", "Niemals stillstehen."),
        "luxury": ("Luxus, mühelos.", "Für immer schön."),
        "playful": ("Einfach gute Laune.", "Immer ein Vergnügen."),
        "retro": ("Einfach zeitlos.", "Stil von damals."),
        "futuristic": ("Seiner Zeit voraus.", "Gemacht für morgen."),
        "warm": ("Mit Liebe gemacht.", "Wie zu Hause."),
    },
)

PHRASEBOOKS: dict[str, Phrasebook] = {"en": ENGLISH, "es": SPANISH, "fr": FRENCH, "de": GERMAN}
