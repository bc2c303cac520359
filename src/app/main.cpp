#include "app/commands.hpp"

int main(int argc, char** argv) { return parley::app::RunCli(argc, argv); }
