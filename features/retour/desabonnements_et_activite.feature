# language: fr
Fonctionnalité: Ce qui revient de MailChimp, et le journal d'activité
  Les avis de désabonnement et les adresses courriels invalides sont automatiquement mis à jour
  dans la base de données clients. Les nouveaux abonnés et les mises à jour de profil ne sont
  PAS mis à jour automatiquement : à mettre à jour manuellement, si pertinent. Toute activité
  affectant la liste est répertoriée sous Infolettres → Voir l'activité.

  Contexte:
    Soit une entreprise "salon" à l'heure de Montréal
    Et 20 clients dans sa base de données clients
    Et un compte MailChimp avec une seule liste "calendarspots" complète
    Et le propriétaire a autorisé calendarspots.com

  @R7
  Scénario: Un client se désabonne dans MailChimp
    Quand "client5@example.com" se désabonne dans MailChimp
    Alors en quelques secondes la fiche du client "client5@example.com" indique désabonné
    Et le journal d'activité dit que le client s'est désabonné

  @R7
  Scénario: Une adresse invalide est nettoyée par MailChimp
    Quand MailChimp nettoie l'adresse "client6@example.com" parce qu'elle n'existe plus
    Alors en quelques secondes la fiche du client "client6@example.com" indique adresse invalide
    Et le journal d'activité dit que l'adresse a été déclarée invalide

  @R8
  Scénario: Un nouvel abonné dans MailChimp n'est pas ajouté à la base de données clients
    Quand "nouveau@example.com" s'abonne dans MailChimp avec le prénom "Nadia"
    Alors en quelques secondes le journal d'activité note un nouvel abonné, avec "Nadia"
    Et la base de données clients compte toujours 20 clients

  @R8
  Scénario: Une mise à jour de profil dans MailChimp n'est pas recopiée
    Quand "client7@example.com" change son prénom en "Gisèle" dans MailChimp
    Alors en quelques secondes le journal d'activité note un changement de profil, avec "Gisèle"
    Et le client "client7@example.com" a toujours le prénom "Prénom7"

  @R9
  Scénario: Voir l'activité, la plus récente d'abord
    Quand "client8@example.com" se désabonne dans MailChimp
    Et en quelques secondes le journal d'activité dit que le client s'est désabonné
    Alors « Voir l'activité » montre d'abord le désabonnement, puis la synchronisation réussie
    Et « Voir l'activité » reste fermé à un visiteur qui n'a pas l'accès d'administration

  @R8 @R10
  Scénario: Une adresse changée dans MailChimp n'est ni recopiée ni rajoutée
    Quand "client9@example.com" change son adresse pour "client9.nouveau@example.com" dans MailChimp
    Alors en quelques secondes le journal d'activité note un changement d'adresse, avec "client9.nouveau@example.com"
    Quand l'équipe de support lance une synchronisation complète
    Alors MailChimp n'a plus de contact "client9@example.com"
    Et le client "client9@example.com" est toujours dans la base de données clients
