# language: fr
Fonctionnalité: La synchronisation se fait une fois par jour, pendant la nuit
  La synchronisation ne se fait pas en temps réel. Elle s'effectue une fois par jour pendant
  la nuit de l'entreprise. Les changements faits au courant de la journée sont mis à jour le
  lendemain dans MailChimp. Un Webhook est ajouté à la liste : il ne faut ni le supprimer ni
  le modifier, ni supprimer la liste.

  Contexte:
    Soit une entreprise "salon" à l'heure de Montréal
    Et 20 clients dans sa base de données clients
    Et un compte MailChimp avec une seule liste "calendarspots" complète
    Et le propriétaire a autorisé calendarspots.com

  @R4
  Scénario: Les changements de la journée arrivent dans MailChimp la nuit suivante
    Soit 3 clients ont changé de prénom pendant la journée
    Quand la tâche de nuit passe le 10 mars 2026 à 12 h 00, heure de l'entreprise
    Alors aucune synchronisation n'a lieu
    Quand la tâche de nuit passe le 11 mars 2026 à 4 h 30, heure de l'entreprise
    Alors MailChimp a reçu exactement 3 contacts
    Quand la tâche de nuit passe le 11 mars 2026 à 4 h 50, heure de l'entreprise
    Alors aucune synchronisation n'a lieu

  @R5
  Scénario: Le webhook supprimé est restauré
    Quand quelqu'un supprime le webhook dans MailChimp
    Et l'équipe de support lance une synchronisation
    Alors la liste a un seul webhook, qui ignore les changements faits par calendarspots.com
    Et le journal d'activité dit que le webhook a été réparé

  @R5
  Scénario: Le webhook modifié est remis en état
    Quand quelqu'un modifie le webhook dans MailChimp pour qu'il signale aussi les changements faits par calendarspots.com
    Et l'équipe de support lance une synchronisation
    Alors la liste a un seul webhook, qui ignore les changements faits par calendarspots.com
    Et le journal d'activité dit que le webhook a été réparé

  @R6
  Scénario: La liste est supprimée dans MailChimp
    Quand quelqu'un supprime la liste dans MailChimp
    Et l'équipe de support lance une synchronisation
    Alors la synchronisation échoue parce que la liste a été supprimée
    Et la connexion à MailChimp demande l'attention du propriétaire
    Et le journal d'activité dit que la synchronisation a échoué

  @R6
  Scénario: La liste est renommée dans MailChimp
    Quand quelqu'un renomme la liste "Infolettre" dans MailChimp
    Et l'équipe de support lance une synchronisation
    Alors la synchronisation échoue parce que la liste a été renommée
    Et la connexion à MailChimp demande l'attention du propriétaire

  @R7
  Scénario: Un désabonnement dont le webhook s'est perdu est rattrapé la nuit
    Soit le webhook ne joint plus calendarspots.com
    Quand "client3@example.com" se désabonne dans MailChimp
    Et l'équipe de support lance une synchronisation
    Alors la fiche du client "client3@example.com" indique désabonné

  @R10
  Scénario: Un client désabonné n'est jamais réabonné, même par une synchronisation complète
    Quand "client4@example.com" se désabonne dans MailChimp
    Et l'équipe de support lance une synchronisation complète
    Alors le contact "client4@example.com" est désabonné dans MailChimp
    Et la fiche du client "client4@example.com" indique désabonné

  Scénario: Par défaut, un client retiré de la plateforme reste tel quel dans MailChimp
    Soit le client "client2@example.com" a été retiré de la plateforme
    Quand l'équipe de support lance une synchronisation
    Alors le contact "client2@example.com" est abonné dans MailChimp
    Et le journal d'activité dit que des clients retirés de la plateforme ne sont plus synchronisés

  Scénario: Un client retiré de la plateforme est archivé dans MailChimp, si l'entreprise l'a choisi
    Soit l'entreprise a choisi d'archiver dans MailChimp les clients retirés de la plateforme
    Et le client "client2@example.com" a été retiré de la plateforme
    Quand l'équipe de support lance une synchronisation
    Alors le contact "client2@example.com" est archivé dans MailChimp
    Et le contact "client3@example.com" est abonné dans MailChimp
    Et le journal d'activité dit que des clients retirés de la plateforme ne sont plus synchronisés
