# Dump what Debian's App::Sqitch makes of the plan in each directory given: change ids with their
# deploy script paths, and tag ids. Used by tests/test_sqitch_conformance.py (which gets verdicts,
# change ids and error lines from the `sqitch plan` command itself).
use strict;
use warnings;
use App::Sqitch;
use App::Sqitch::Config;
use App::Sqitch::Target;
use Cwd qw(getcwd);

binmode STDOUT, ':encoding(UTF-8)';
my $start = getcwd();
for my $dir (@ARGV) {
    chdir $dir or die "cannot chdir to $dir: $!";
    print "case\t$dir\n";
    my $ok = eval {
        my $sqitch = App::Sqitch->new(config => App::Sqitch::Config->new);
        my $target = App::Sqitch::Target->new(sqitch => $sqitch);
        my $plan = $target->plan;
        for my $change ($plan->changes) {
            print join("\t", 'change', $change->id, $change->deploy_file->relative($target->top_dir)), "\n";
            print join("\t", 'tag', $_->id, $_->format_name), "\n" for $change->tags;
        }
        1;
    };
    print "error\n" unless $ok;
    chdir $start;
}
