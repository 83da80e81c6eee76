from .run_notebooks import main

raise SystemExit(main())
