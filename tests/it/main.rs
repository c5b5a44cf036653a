mod bad_train_input;
mod cli_support;
mod smoke {}
mod train_cli;
mod train_storage;
