// startServer in a Workers-typed project (ambient workers-types): the same usage as
// ../module/server.ts, checked under these settings.
import '../module/server.js'
