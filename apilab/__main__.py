from apilab.entry import main

main()
