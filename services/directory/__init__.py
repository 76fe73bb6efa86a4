"""Business profiles for hallo-bot.de and the Fairtrade-Town campaign."""
