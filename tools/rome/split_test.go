package main

import "testing"

// TestSplitTitle covers every shape of title found in ROME_Arbo_20231127.csv
// (grep for " / ", "/", "(", ","), each with a real title of the file.
func TestSplitTitle(t *testing.T) {
	tests := []struct {
		title, masc, fem, kind string
	}{
		// One word each side.
		{"Boulanger / Boulangère", "Boulanger", "Boulangère", splitGender},
		{"Porion / Porionne", "Porion", "Porionne", splitGender},
		{"Préfet / Préfète", "Préfet", "Préfète", splitGender},
		{"Poète / Poétesse", "Poète", "Poétesse", splitGender},
		{"Pizzaïolo / Pizzaïola", "Pizzaïolo", "Pizzaïola", splitGender},
		{"Barman / Barmaid", "Barman", "Barmaid", splitGender},
		{"Sushiman / Sushiwoman", "Sushiman", "Sushiwoman", splitGender},
		{"Ambassadeur / Ambassadrice du tri", "Ambassadeur du tri", "Ambassadrice du tri", splitGender},
		{"Reporter / Reportrice", "Reporter", "Reportrice", splitGender},
		// Shared words after the feminine.
		{"Chargé / Chargée d'opérations immobilières", "Chargé d'opérations immobilières", "Chargée d'opérations immobilières", splitGender},
		{"Designer / Designeuse en bijouterie", "Designer en bijouterie", "Designeuse en bijouterie", splitGender},
		{"Dispatcher / Dispatcheuse de réseau de transport d'électricité", "Dispatcher de réseau de transport d'électricité", "Dispatcheuse de réseau de transport d'électricité", splitGender},
		{"Hôte / Hôtesse de caisse", "Hôte de caisse", "Hôtesse de caisse", splitGender},
		{"Steward / Hôtesse de transport maritime", "Steward de transport maritime", "Hôtesse de transport maritime", splitGender},
		{"Homme / Femme de pied", "Homme de pied", "Femme de pied", splitGender},
		{"Garçon / Fille de chenil", "Garçon de chenil", "Fille de chenil", splitGender},
		{"Monsieur / Dame de compagnie", "Monsieur de compagnie", "Dame de compagnie", splitGender},
		{"Contremaître / Contremaîtresse d'exploitation forestière", "Contremaître d'exploitation forestière", "Contremaîtresse d'exploitation forestière", splitGender},
		// Several variable words.
		{"Technicien forestier / Technicienne forestière d'études et de recherche", "Technicien forestier d'études et de recherche", "Technicienne forestière d'études et de recherche", splitGender},
		{"Écrivain public / Écrivaine publique", "Écrivain public", "Écrivaine publique", splitGender},
		{"Premier valet / Première femme de chambre", "Premier valet de chambre", "Première femme de chambre", splitGender},
		{"Second maître / Seconde maîtresse d'hôtel", "Second maître d'hôtel", "Seconde maîtresse d'hôtel", splitGender},
		{"Responsable administratif, comptable et financier / Responsable administrative, comptable et financière", "Responsable administratif, comptable et financier", "Responsable administrative, comptable et financière", splitGender},
		{"Ingénieur navigant, navigateur / Ingénieure navigante, navigatrice de l'armée", "Ingénieur navigant, navigateur de l'armée", "Ingénieure navigante, navigatrice de l'armée", splitGender},
		{"Directeur administratif, financier / Directrice administrative, financière et du contrôle de gestion", "Directeur administratif, financier et du contrôle de gestion", "Directrice administrative, financière et du contrôle de gestion", splitGender},
		// Shared words before the masculine.
		{"Garde technicien / technicienne de réserve naturelle", "Garde technicien de réserve naturelle", "Garde technicienne de réserve naturelle", splitGender},
		{"Géomètre expert / experte", "Géomètre expert", "Géomètre experte", splitGender},
		{"Aide ménager / ménagère à domicile", "Aide ménager à domicile", "Aide ménagère à domicile", splitGender},
		{"Élève éducateur socioéducatif / éducatrice socioéducative", "Élève éducateur socioéducatif", "Élève éducatrice socioéducative", splitGender},
		{"Layout man / woman", "Layout man", "Layout woman", splitGender},
		{"Cariste chargeur/déchargeur / chargeuse/déchargeuse", "Cariste chargeur/déchargeur", "Cariste chargeuse/déchargeuse", splitGender},
		// Compounds.
		{"Surveillant-dépanneur / Surveillante-dépanneuse d'exploitation de chauffage et de conditionnement d'air", "Surveillant-dépanneur d'exploitation de chauffage et de conditionnement d'air", "Surveillante-dépanneuse d'exploitation de chauffage et de conditionnement d'air", splitGender},
		{"Maçon-piscinier / Maçonne-piscinière", "Maçon-piscinier", "Maçonne-piscinière", splitGender},
		{"Sapeur-pompier / Sapeuse-pompière", "Sapeur-pompier", "Sapeuse-pompière", splitGender},
		{"Chef cuisinier/pâtissier / Cheffe cuisinière/pâtissière", "Chef cuisinier/pâtissier", "Cheffe cuisinière/pâtissière", splitGender},
		{"Groupiste/groupman / Groupiste/groupwoman", "Groupiste/groupman", "Groupiste/groupwoman", splitGender},
		// No slash.
		{"Orthophoniste", "Orthophoniste", "Orthophoniste", splitPlain},
		{"Chef de publicité", "Chef de publicité", "Chef de publicité", splitPlain},
		{"Aide d'élevage cunicole (lapins)", "Aide d'élevage cunicole (lapins)", "Aide d'élevage cunicole (lapins)", splitPlain},
		{"Chef de rayon boucherie/charcuterie", "Chef de rayon boucherie/charcuterie", "Chef de rayon boucherie/charcuterie", splitPlain},
		// Gender inside a word.
		{"E-sportif/e-sportive", "E-sportif", "E-sportive", splitGender},
		{"Animateur / Animatrice d'enfants assistant(e) sanitaire", "Animateur d'enfants assistant sanitaire", "Animatrice d'enfants assistante sanitaire", splitGender},
		{"Contrôleur / Contrôleuse de gestion chargé(e) du budget", "Contrôleur de gestion chargé du budget", "Contrôleuse de gestion chargée du budget", splitGender},
		{"Directeur / Directrice de site(s) d'entreposage", "Directeur de site(s) d'entreposage", "Directrice de site(s) d'entreposage", splitGender},
		{"Inspecteur / Inspectrice d'académie, directeur/directrice des services départementaux de l'Éducation nationale -IA-DSDEN-", "Inspecteur d'académie, directeur des services départementaux de l'Éducation nationale -IA-DSDEN-", "Inspectrice d'académie, directrice des services départementaux de l'Éducation nationale -IA-DSDEN-", splitGender},
		// A slash inside a word stays.
		{"Vendeur / Vendeuse en orfèvrerie/joaillerie", "Vendeur en orfèvrerie/joaillerie", "Vendeuse en orfèvrerie/joaillerie", splitGender},
		{"Professeur / Professeure technique/chef de travaux", "Professeur technique/chef de travaux", "Professeure technique/chef de travaux", splitGender},
		// Two gender slashes.
		{"Chef / Cheffe de cuisine traiteur / traiteuse", "Chef de cuisine traiteur", "Cheffe de cuisine traiteuse", splitGender},
		{"Chargé / Chargée de clientèle principal / principale en immobilier", "Chargé de clientèle principal en immobilier", "Chargée de clientèle principale en immobilier", splitGender},
		{"Infirmier / Infirmière de bloc opératoire Diplômé / Diplômée d'État -IBODE-", "Infirmier de bloc opératoire Diplômé d'État -IBODE-", "Infirmière de bloc opératoire Diplômée d'État -IBODE-", splitGender},
		{"Contrôleur aérien / Contrôleuse aérienne directeur / directrice d'aérodrome", "Contrôleur aérien directeur d'aérodrome", "Contrôleuse aérienne directrice d'aérodrome", splitGender},
		{"Assistant / Assistante technique d'ingénieur / d'ingénieure de production", "Assistant technique d'ingénieur de production", "Assistante technique d'ingénieure de production", splitGender},
		{"Adjoint / Adjointe du directeur / de la directrice en hôtellerie-restauration", "Adjoint du directeur en hôtellerie-restauration", "Adjointe de la directrice en hôtellerie-restauration", splitGender},
		{"Adjoint / Adjointe au directeur administratif et financier / à la directrice administrative et financière", "Adjoint au directeur administratif et financier", "Adjointe à la directrice administrative et financière", splitGender},
		{"Inspecteur pédagogique régional, inspecteur d'académie / Inspectrice pédagogique régionale, inspectrice d'académie -IPR-IA-", "Inspecteur pédagogique régional, inspecteur d'académie -IPR-IA-", "Inspectrice pédagogique régionale, inspectrice d'académie -IPR-IA-", splitGender},
		// A gender slash and a slash between alternatives.
		{"Opérateur / Opératrice de production de granulés / pellets de bois", "Opérateur de production de granulés / pellets de bois", "Opératrice de production de granulés / pellets de bois", splitGender},
		{"Chroniqueur / Chroniqueuse TV / Radio", "Chroniqueur TV / Radio", "Chroniqueuse TV / Radio", splitGender},
		{"Directeur / Directrice / responsable de secteur commercial", "Directeur / responsable de secteur commercial", "Directrice / responsable de secteur commercial", splitGender},
		{"Responsable / chargé / chargée des événements", "Responsable / chargé des événements", "Responsable / chargée des événements", splitGender},
		// Spaces missing or doubled around the slash.
		{"Chef /Cheffe d'équipe travaux publics", "Chef d'équipe travaux publics", "Cheffe d'équipe travaux publics", splitGender},
		{"Menuisier fabricant/ Menuisière fabricante aluminium", "Menuisier fabricant aluminium", "Menuisière fabricante aluminium", splitGender},
		{"Technicien sportif /technicienne sportive", "Technicien sportif", "Technicienne sportive", splitGender},
		{"Chef / Cheffe  de chantier génie civil", "Chef de chantier génie civil", "Cheffe de chantier génie civil", splitGender},
		// Reviewed by hand.
		{"Homme sage-femme / Sage-femme", "Homme sage-femme", "Sage-femme", splitReviewed},
		{"Traminot / Employée de tramway", "Traminot", "Employée de tramway", splitReviewed},
		{"Conducteur dérouleur / Conductrice dérouleuses sur bois", "Conducteur dérouleur sur bois", "Conductrice dérouleuse sur bois", splitReviewed},
		{"Pilote de chasse / transport / hélicoptère de l'armée", "Pilote de chasse / transport / hélicoptère de l'armée", "Pilote de chasse / transport / hélicoptère de l'armée", splitReviewed},
		// Not in the file: alternatives only, no rule and no review.
		{"Jardinier / paysagiste", "Jardinier / paysagiste", "Jardinier / paysagiste", splitLiteral},
	}
	for _, tt := range tests {
		m, f, kind := splitTitle(tt.title)
		if m != tt.masc || f != tt.fem || kind != tt.kind {
			t.Errorf("splitTitle(%q)\n got  %q, %q (%s)\n want %q, %q (%s)", tt.title, m, f, kind, tt.masc, tt.fem, tt.kind)
		}
	}
}

func TestGenderPair(t *testing.T) {
	tests := []struct {
		m, f string
		want bool
	}{
		{"Conducteur", "Conductrice", true},
		{"chauffeur", "chauffeuse", true},
		{"ingénieur", "ingénieure", true},
		{"forestier", "forestière", true},
		{"Chef", "Cheffe", true},
		{"sportif", "sportive", true},
		{"du", "de la", true},
		{"d'ingénieur", "d'ingénieure", true},
		{"Maçon-piscinier", "Maçonne-piscinière", true},
		{"granulés", "pellets", false},
		{"TV", "Radio", false},
		{"Directrice", "responsable", false},
		{"Agent", "Agent", false},
		{"Malaxeur", "mélangeur", false},
	}
	for _, tt := range tests {
		if got := genderPair(tt.m, tt.f); got != tt.want {
			t.Errorf("genderPair(%q, %q) = %v, want %v", tt.m, tt.f, got, tt.want)
		}
	}
}
