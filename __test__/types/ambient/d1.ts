// Ambient Workers setup: our D1 classes are assignable to workers-types' D1Database & co.
import * as native from '../../../index.js'

const db: D1Database = new native.D1Database()
const persisted: D1Database = new native.D1Database({ persist: '.edgebase', name: 'DB' })
const session: D1DatabaseSession = db.withSession('first-primary')
const stmt: D1PreparedStatement = new native.D1Database().prepare('SELECT 1')
void [db, persisted, session, stmt]
