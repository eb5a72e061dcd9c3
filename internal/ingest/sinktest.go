package ingest

// Collector is a Sink that keeps everything in memory, for parser tests and
// fuzz targets. Records of files that end with an error are dropped, as the
// pipeline drops them.
type Collector struct {
	Channels   []Channel
	People     []Person
	Activities []Activity
	Files      []string
	Errors     []*FileError

	pending struct {
		channels   []Channel
		people     []Person
		activities []Activity
	}
	open string
}

// BeginFile implements Sink.
func (c *Collector) BeginFile(name string) error {
	c.open = name
	return nil
}

// Channel implements Sink.
func (c *Collector) Channel(ch Channel) error {
	c.pending.channels = append(c.pending.channels, ch)
	return nil
}

// Person implements Sink.
func (c *Collector) Person(p Person) error {
	c.pending.people = append(c.pending.people, p)
	return nil
}

// Activity implements Sink.
func (c *Collector) Activity(a Activity) error {
	c.pending.activities = append(c.pending.activities, a)
	return nil
}

// EndFile implements Sink.
func (c *Collector) EndFile(err *FileError) error {
	if err != nil {
		c.Errors = append(c.Errors, err)
	} else {
		c.Files = append(c.Files, c.open)
		c.Channels = append(c.Channels, c.pending.channels...)
		c.People = append(c.People, c.pending.people...)
		c.Activities = append(c.Activities, c.pending.activities...)
	}
	c.pending.channels, c.pending.people, c.pending.activities = nil, nil, nil
	c.open = ""
	return nil
}

// CountKinds counts the collected activities by kind, leaving out those
// whose author is a bot.
func (c *Collector) CountKinds() map[string]int {
	n := map[string]int{}
	for _, a := range c.Activities {
		if !a.Author.IsBot {
			n[string(a.Kind)]++
		}
	}
	return n
}
