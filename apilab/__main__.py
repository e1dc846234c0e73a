from apilab.cli import main

main()
