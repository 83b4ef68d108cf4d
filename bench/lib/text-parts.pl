#!/usr/bin/perl
# Writes BYTES of low-entropy text into DIR as files of 4 MiB
# (part-00000, ...), for bench/lib/large-upload.sh's `text` content: 64
# paragraphs of 16 lines of words, and each file a sequence of them, each
# under a numbered header, chosen by a linear congruential generator seeded
# with the file's number (the same files every time).
# Usage: text-parts.pl BYTES DIR
use strict;
use warnings;

my ($bytes, $dir) = @ARGV;
die "usage: text-parts.pl BYTES DIR\n" unless defined $dir && $bytes =~ /^\d+$/;
my @words = qw(alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike
  november oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu);
my @paragraphs;
for my $p (0 .. 63) {
  my $text = '';
  for my $l (0 .. 15) {
    $text .= join(' ', map { $words[($p * 7 + $l * 5 + $_ * 11) % 26] } 0 .. 9) . "\n";
  }
  push @paragraphs, $text;
}
my $part = 4 * 1024 * 1024;
for (my ($i, $left) = (0, $bytes); $left > 0; $i++, $left -= $part) {
  my $n = $left < $part ? $left : $part;
  my ($x, $k, $out) = ($i + 1, 0, '');
  while (length($out) < $n) {
    $x = ($x * 1103515245 + 12345) % 2147483648;
    $out .= "== part $i paragraph " . $k++ . " ==\n" . $paragraphs[($x >> 10) % 64];
  }
  my $file = sprintf('%s/part-%05d', $dir, $i);
  open(my $fh, '>', $file) or die "$file: $!\n";
  print $fh substr($out, 0, $n) or die "$file: $!\n";
  close($fh) or die "$file: $!\n";
}
