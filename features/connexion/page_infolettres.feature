# language: fr
Fonctionnalité: La page Infolettres du propriétaire
  Sous Infolettres, le propriétaire voit où en est sa connexion à MailChimp : le compte et la
  liste reliés, le nombre de contacts, la dernière synchronisation à son heure, les clients qui
  n'ont pas pu être envoyés et pourquoi, l'état du webhook. Il peut y vérifier et réparer sa
  liste, synchroniser, se déconnecter et se reconnecter. Personne d'autre ne voit cette page.

  Contexte:
    Soit une entreprise "salon" à l'heure de Montréal
    Et 20 clients dans sa base de données clients
    Et un compte MailChimp avec une seule liste "calendarspots" complète

  @R3 @R5
  Scénario: La page Infolettres montre au propriétaire où en est sa connexion
    Soit un client "Zoé Roy" dont l'adresse "pas une adresse" est invalide
    Et le propriétaire a autorisé calendarspots.com
    Quand le propriétaire ouvre sa page Infolettres avec le lien donné par l'équipe de support
    Alors sa page Infolettres est en français, au nom de "Salon salon"
    Et elle affiche : Connecté au compte MailChimp « Compte du salon » : liste « calendarspots », 20 contacts.
    Et elle donne l'heure de la dernière synchronisation à l'heure de Montréal
    Et elle cite "pas une adresse" parmi les clients non envoyés à MailChimp, avec la raison : adresse courriel invalide
    Et elle affiche : Le webhook de MailChimp est en place.
    Et elle propose « Vérifier et réparer », « Synchroniser maintenant », « Déconnecter » et « Voir l'activité »
    Quand un visiteur sans le lien ouvre la page Infolettres de l'entreprise "salon"
    Alors il reçoit la même réponse que pour une entreprise qui n'existe pas

  @R3 @R5
  Scénario: Le propriétaire déconnecte MailChimp depuis sa page, puis le reconnecte
    Soit le propriétaire a autorisé calendarspots.com
    Quand le propriétaire ouvre sa page Infolettres avec le lien donné par l'équipe de support
    Et il clique sur « Déconnecter »
    Alors sa page Infolettres affiche : MailChimp est déconnecté. Vos clients restent dans votre base de données.
    Et MailChimp est déconnecté pour l'entreprise
    Et la liste n'a plus de webhook
    Et la base de données clients compte toujours 20 clients
    Et le journal d'activité dit que MailChimp a été déconnecté
    Quand il clique sur « Autoriser » et confirme dans MailChimp
    Alors la page de retour dit que MailChimp est connecté et que la synchronisation initiale a réussi
    Et la liste a un seul webhook, qui ignore les changements faits par calendarspots.com
    Et la liste compte 20 contacts abonnés
    Et sa page Infolettres affiche : Connecté au compte MailChimp « Compte du salon » : liste « calendarspots », 20 contacts.

  @R3
  Scénario: Le lien de la page Infolettres ne sert qu'une fois, et le dit
    Quand le propriétaire ouvre sa page Infolettres avec le lien donné par l'équipe de support
    Et quelqu'un ouvre ce même lien dans un autre navigateur
    Alors la page dit que ce lien a déjà servi et qu'il faut en demander un nouveau à l'équipe de support
    Quand le propriétaire rouvre ce même lien dans son navigateur
    Alors il retrouve sa page Infolettres
