// An independent checker and writer of c2sp.org/tlog-tiles logs built on Go's
// golang.org/x/mod/sumdb/note and sumdb/tlog (Debian's
// golang-golang-x-mod-dev), for interoperability tests.
//
//	go-tlog verify DIR VKEY < requests.json   checks DIR's checkpoint, tiles and entry bundles,
//	                                          then each inclusion or consistency proof asked
//	go-tlog write DIR ORIGIN COUNT OLD...     writes a log of COUNT entries, signs its checkpoint
//	                                          with a new key, and prints consistency proofs from each OLD size
package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const height = 8

// c2spPath is the tile's path in c2sp.org/tlog-tiles layout (no height element, "entries" for data).
func c2spPath(t tlog.Tile) string {
	p := t.Path() // tile/8/L/NNN[.p/W]
	p = strings.TrimPrefix(p, "tile/8/")
	p = strings.Replace(p, "data/", "entries/", 1)
	return "tile/" + p
}

type dirTiles struct{ dir string }

func (d dirTiles) Height() int { return height }
func (d dirTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		b, err := os.ReadFile(filepath.Join(d.dir, c2spPath(t)))
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}
func (d dirTiles) SaveTiles([]tlog.Tile, [][]byte) {}

type request struct {
	Kind    string   `json:"kind"`
	Index   int64    `json:"index"`
	Old     int64    `json:"old"`
	OldRoot string   `json:"oldRoot"`
	Size    int64    `json:"size"`
	Root    string   `json:"root"`
	Leaf    string   `json:"leaf"`
	Proof   []string `json:"proof"`
}

func hash(s string) tlog.Hash {
	var h tlog.Hash
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != tlog.HashSize {
		fail("bad hash %q", s)
	}
	copy(h[:], b)
	return h
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

func verify(dir, vkey string) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		fail("vkey: %v", err)
	}
	msg, err := os.ReadFile(filepath.Join(dir, "checkpoint"))
	if err != nil {
		fail("%v", err)
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		fail("checkpoint signature: %v", err)
	}
	lines := strings.SplitN(n.Text, "\n", 4)
	if len(lines) < 4 {
		fail("checkpoint: too few lines")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		fail("checkpoint size: %v", err)
	}
	tree := tlog.Tree{N: size, Hash: hash(lines[2])}
	r := tlog.TileHashReader(tree, dirTiles{dir})
	root, err := tlog.TreeHash(size, r)
	if err != nil {
		fail("tree hash from tiles: %v", err)
	}
	if root != tree.Hash {
		fail("the tiles' root %v is not the checkpoint's %v", root, tree.Hash)
	}
	// Every entry in the bundles hashes to its level-0 tile hash.
	for start := int64(0); start < size; start += 1 << height {
		w := size - start
		if w > 1<<height {
			w = 1 << height
		}
		t := tlog.Tile{H: height, L: -1, N: start >> height, W: int(w)}
		data, err := os.ReadFile(filepath.Join(dir, c2spPath(t)))
		if err != nil {
			fail("%v", err)
		}
		for i := int64(0); i < w; i++ {
			if len(data) < 2 {
				fail("bundle %s ends early", c2spPath(t))
			}
			l := int(binary.BigEndian.Uint16(data))
			entry := data[2 : 2+l]
			data = data[2+l:]
			hs, err := r.ReadHashes([]int64{tlog.StoredHashIndex(0, start+i)})
			if err != nil {
				fail("%v", err)
			}
			if hs[0] != tlog.RecordHash(entry) {
				fail("entry %d does not hash to its tile hash", start+i)
			}
		}
		if len(data) != 0 {
			fail("bundle %s has trailing bytes", c2spPath(t))
		}
	}
	var reqs []request
	if err := json.NewDecoder(os.Stdin).Decode(&reqs); err != nil {
		fail("requests: %v", err)
	}
	results := []string{}
	for _, q := range reqs {
		var proof []tlog.Hash
		for _, p := range q.Proof {
			proof = append(proof, hash(p))
		}
		switch q.Kind {
		case "inclusion":
			err = tlog.CheckRecord(tlog.RecordProof(proof), q.Size, hash(q.Root), q.Index, hash(q.Leaf))
		case "consistency":
			err = tlog.CheckTree(tlog.TreeProof(proof), q.Size, hash(q.Root), q.Old, hash(q.OldRoot))
		case "prove-inclusion":
			var p tlog.RecordProof
			p, err = tlog.ProveRecord(q.Size, q.Index, r)
			if err == nil {
				results = append(results, b64list(p))
				continue
			}
		default:
			fail("unknown request %q", q.Kind)
		}
		if err != nil {
			results = append(results, "fail: "+err.Error())
		} else {
			results = append(results, "ok")
		}
	}
	out, _ := json.Marshal(map[string]interface{}{"size": size, "root": base64.StdEncoding.EncodeToString(root[:]), "results": results})
	os.Stdout.Write(out)
}

func b64list(hs []tlog.Hash) string {
	var s []string
	for _, h := range hs {
		s = append(s, base64.StdEncoding.EncodeToString(h[:]))
	}
	return strings.Join(s, ",")
}

func write(dir, origin string, count int64, olds []int64) {
	var stored []tlog.Hash
	reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = stored[x]
		}
		return out, nil
	})
	var entries [][]byte
	for i := int64(0); i < count; i++ {
		e := []byte(fmt.Sprintf("entry %d written by Go\n", i))
		entries = append(entries, e)
		hs, err := tlog.StoredHashes(i, e, reader)
		if err != nil {
			fail("%v", err)
		}
		stored = append(stored, hs...)
	}
	for _, t := range tlog.NewTiles(height, 0, count) {
		data, err := tlog.ReadTileData(t, reader)
		if err != nil {
			fail("%v", err)
		}
		put(dir, c2spPath(t), data)
		if t.L == 0 {
			var b bytes.Buffer
			start := t.N << height
			for _, e := range entries[start : start+int64(t.W)] {
				var l [2]byte
				binary.BigEndian.PutUint16(l[:], uint16(len(e)))
				b.Write(l[:])
				b.Write(e)
			}
			put(dir, c2spPath(tlog.Tile{H: height, L: -1, N: t.N, W: t.W}), b.Bytes())
		}
	}
	root, err := tlog.TreeHash(count, reader)
	if err != nil {
		fail("%v", err)
	}
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		fail("%v", err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		fail("%v", err)
	}
	text := fmt.Sprintf("%s\n%d\n%s\n", origin, count, base64.StdEncoding.EncodeToString(root[:]))
	msg, err := note.Sign(&note.Note{Text: text}, signer)
	if err != nil {
		fail("%v", err)
	}
	put(dir, "checkpoint", msg)
	proofs := map[string]interface{}{}
	for _, old := range olds {
		oldRoot, err := tlog.TreeHash(old, reader)
		if err != nil {
			fail("%v", err)
		}
		p, err := tlog.ProveTree(count, old, reader)
		if err != nil {
			fail("%v", err)
		}
		proofs[strconv.FormatInt(old, 10)] = map[string]string{"root": base64.StdEncoding.EncodeToString(oldRoot[:]), "proof": b64list(p)}
	}
	out, _ := json.Marshal(map[string]interface{}{"vkey": vkey, "consistency": proofs})
	os.Stdout.Write(out)
}

func put(dir, path string, data []byte) {
	full := filepath.Join(dir, path)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		fail("%v", err)
	}
	if err := os.WriteFile(full, data, 0o644); err != nil {
		fail("%v", err)
	}
}

func main() {
	if len(os.Args) < 3 {
		fail("usage: go-tlog verify DIR VKEY | write DIR ORIGIN COUNT OLD...")
	}
	switch os.Args[1] {
	case "verify":
		verify(os.Args[2], os.Args[3])
	case "write":
		count, _ := strconv.ParseInt(os.Args[4], 10, 64)
		var olds []int64
		for _, a := range os.Args[5:] {
			o, _ := strconv.ParseInt(a, 10, 64)
			olds = append(olds, o)
		}
		write(os.Args[2], os.Args[3], count, olds)
	default:
		fail("unknown command %q", os.Args[1])
	}
}
