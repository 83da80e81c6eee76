from artlib.app import main

main()
