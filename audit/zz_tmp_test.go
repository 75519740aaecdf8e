package audit
import ("testing";"encoding/json")
func BenchmarkZZEncode(b *testing.B) {
	ev := NewEvent(benchCall(), "00000000-0000-0000-0000-000000000000")
	b.Run("marshal", func(b *testing.B){ b.ReportAllocs(); for b.Loop() { d,_ := json.Marshal(ev); encoded = d } })
	b.Run("append", func(b *testing.B){ b.ReportAllocs(); for b.Loop() { d,_ := ev.AppendJSON(make([]byte,0,eventSizeHint)); encoded = d } })
	b.Run("newevent", func(b *testing.B){ b.ReportAllocs(); c:=benchCall(); for b.Loop() { NewEvent(c, "00000000-0000-0000-0000-000000000000") } })
}
