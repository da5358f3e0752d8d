import { builder } from '../../graphql/builder.js';
import { effectiveTimezone } from './domain/timezone.js';

builder.prismaObjectField('User', 'effectiveTimezone', (t) =>
  t.string({
    description:
      'The zone to show this user\'s times in: userTimezone, else the site setting time_zone, else "UTC". ' +
      'An IANA name, "UTC", or an offset "±HH:MM".',
    select: { userTimezone: true },
    resolve: async (user, _args, ctx) => effectiveTimezone(user.userTimezone, await ctx.services.settings.get('time_zone')),
  }),
);
