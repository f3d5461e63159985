"""Pure modelling functions shared by training, promotion and forecasting."""
