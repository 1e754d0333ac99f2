import { isDatabaseUnavailable } from './database-unavailable';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('isDatabaseUnavailable', () => {
  it('recognizes a database that is down, restarting, hung, read-only or full', () => {
    const errors = [
      withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'),
      withCode('read ECONNRESET', 'ECONNRESET'),
      new Error('Connection terminated unexpectedly'),
      new Error('Connection terminated due to connection timeout'),
      new Error('timeout exceeded when trying to connect'),
      new Error('Query read timeout'),
      new Error('Client has encountered a connection error and is not queryable'),
      withCode('terminating connection due to administrator command', '57P01'),
      withCode('the database system is shutting down', '57P03'),
      withCode('sorry, too many clients already', '53300'),
      withCode('cannot execute INSERT in a read-only transaction', '25006'),
      withCode('canceling statement due to statement timeout', '57014'),
      withCode('connection failure', '08006'),
      // TypeORM's QueryFailedError keeps the driver's error; Node's happy eyeballs aggregate per address.
      Object.assign(new Error('query failed'), { driverError: withCode('x', '57P01') }),
      new AggregateError([withCode('connect ECONNREFUSED ::1:5432', 'ECONNREFUSED')], ''),
    ];
    expect(errors.filter((e) => !isDatabaseUnavailable(e)).map((e) => e.message)).toEqual([]);
  });

  it('does not mistake a refused statement or a bug for an outage', () => {
    const errors = [
      withCode('duplicate key value violates unique constraint', '23505'),
      withCode('invalid input syntax for type json', '22P02'),
      withCode('database unavailable', 'P0001'), // a trigger's RAISE EXCEPTION, whatever it says
      withCode('could not serialize access', '40001'),
      new TypeError("Cannot read properties of undefined (reading 'x')"),
      'a string',
      undefined,
    ];
    expect(errors.filter((e) => isDatabaseUnavailable(e))).toEqual([]);
  });
});
